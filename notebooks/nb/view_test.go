package nb

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/runner"
	"github.com/trgnas/trgnas/nas/slurm"
	"github.com/trgnas/trgnas/nas/train"
)

// published records what the view sends to the notebook.
type published struct {
	mu    sync.Mutex
	ids   map[string]bool
	pages []string
}

func (p *published) publish(id, html string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids[id] = true
	p.pages = append(p.pages, html)
}

func (p *published) find(t *testing.T, want ...string) string {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, page := range p.pages {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(page, w)
		}
		if ok {
			return page
		}
	}
	t.Errorf("no published state holds all of %q", want)
	return ""
}

func TestViewFollowsTheSearch(t *testing.T) {
	cfg := nas.DefaultConfig()
	cfg.MinDepth, cfg.MaxDepth, cfg.MinWidth, cfg.MaxWidth, cfg.WidthStep = 2, 3, 4, 8, 4
	run, err := runner.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := run.Search()
	pub := &published{ids: map[string]bool{}}
	tr := &train.Trainer{Recipe: nas.DefaultRecipe()}
	v := NewView("test search", run, tr)
	v.publish = pub.publish
	ev := nas.EvaluatorFunc(func(ctx context.Context, a nas.Arch) (nas.Result, error) {
		for step := 1; step <= 3; step++ {
			tr.Progress(a, train.Progress{Epoch: 0, Epochs: 2, Step: step, Steps: 3, ImagesPerSec: 100, Loss: 1, Acc: 50, LR: 0.1, ETA: time.Second})
		}
		return nas.Result{Arch: a, ValidAcc: float64(40 + a.Width + a.Depth()), Params: a.Params(3, 10)}, nil
	})
	if err := run.Run(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	pub.find(t, "stage <b>depth</b>", "candidate #0", "epoch 1/2", "step 3/3", "100 img/s", "at most 1 more candidates")
	pub.find(t, "stage <b>width</b>")
	v.Done(nil)
	a, res, _ := s.Best()
	last := pub.find(t, "search finished", "found "+a.Key(), "decisions:", `<img src="data:image/png;base64,`)
	if !strings.Contains(last, "found "+a.Key()) || strings.Contains(last, "candidate #") {
		t.Errorf("final state:\n%s", last)
	}
	if n := strings.Count(last, "<tr><td>"); n != len(s.Decisions()) {
		t.Errorf("final state lists %d decisions, the search took %d", n, len(s.Decisions()))
	}
	if len(pub.ids) != 1 {
		t.Errorf("%d blocks, want one updated in place", len(pub.ids))
	}
	_ = res

	// A stopped search says so; Slurm jobs in flight are listed.
	v2 := NewView("stopped", run, nil)
	pub2 := &published{ids: map[string]bool{}}
	v2.publish = pub2.publish
	v2.WatchJobs(func() []slurm.Job {
		return []slurm.Job{{Key: "w8-o00-k33", ID: "17", State: "RUNNING", Attempts: 1, Progress: "epoch 1/2 [#..] 1/3\repoch 1/2 [###] 3/3"}}
	}, 10*time.Millisecond)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if h := v2.HTML(); strings.Contains(h, "RUNNING") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	pub2.find(t, "Slurm jobs in flight", "w8-o00-k33", "RUNNING", "epoch 1/2 [###] 3/3")
	v2.Done(errors.New("context canceled"))
	if h := v2.HTML(); !strings.Contains(h, "search stopped: context canceled") || strings.Contains(h, "RUNNING") {
		t.Errorf("stopped state:\n%s", h)
	}
}

// With candidates trained ahead (RunParallel), the view lists every one in
// training with its own progress, and none once the search has ended: the
// cancelled ones included.
func TestViewShowsCandidatesInFlight(t *testing.T) {
	cfg := nas.DefaultConfig()
	cfg.MinDepth, cfg.MaxDepth, cfg.MinWidth, cfg.MaxWidth, cfg.WidthStep = 2, 4, 4, 8, 4
	run, err := runner.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := &published{ids: map[string]bool{}}
	tr := &train.Trainer{Recipe: nas.DefaultRecipe()}
	v := NewView("parallel search", run, tr)
	v.publish = pub.publish
	var mu sync.Mutex
	both := false
	ev := nas.EvaluatorFunc(func(ctx context.Context, a nas.Arch) (nas.Result, error) {
		tr.Progress(a, train.Progress{Epoch: 0, Epochs: 1, Step: 1, Steps: 2, ImagesPerSec: float64(100 + a.Depth()), ETA: time.Second})
		mu.Lock()
		h := v.HTML()
		both = both || (strings.Contains(h, "candidate #") && strings.Contains(h, "ahead") && strings.Count(h, "img/s") >= 2)
		mu.Unlock()
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return nas.Result{}, ctx.Err()
		}
		// Deeper is better, narrower worse: the depth stage runs to its end.
		return nas.Result{Arch: a, ValidAcc: float64(50 + 5*a.Depth() + a.Width), Params: a.Params(3, 10)}, nil
	})
	if err := run.RunParallel(context.Background(), ev, 3); err != nil {
		t.Fatal(err)
	}
	if !both {
		t.Error("no state showed the candidate the search needs and one ahead, each with its progress")
	}
	if h := v.HTML(); strings.Contains(h, "stage <b>") {
		t.Errorf("candidates still shown in training after the search:\n%s", h)
	}
	v.Done(nil)
}
