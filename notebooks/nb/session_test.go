package nb_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
	"github.com/trgnas/trgnas/notebooks/nb"
)

// A session trains a stage into its ledger; Resume rebuilds it from the
// ledger alone (the spec from the header) and trains nothing again.
func TestSessionResume(t *testing.T) {
	cfg := nas.DefaultConfig()
	cfg.MinDepth, cfg.MaxDepth, cfg.MinWidth, cfg.MaxWidth, cfg.WidthStep = 1, 2, 4, 4, 4
	cfg.InChannels, cfg.Classes = 0, 0 // from the data
	r := nas.DefaultRecipe()
	r.Epochs, r.BatchSize, r.Anneal = 1, 8, nas.AnnealStep
	spec := runner.Spec{
		Data: data.Spec{Dataset: "synthetic", ValidFrac: 0.25, Seed: 5,
			Synthetic: &data.SyntheticConfig{N: 64, H: 6, W: 6, C: 1, Classes: 2, Noise: 0.2}},
		Config: cfg, Recipe: r,
	}
	path := filepath.Join(t.TempDir(), "s.jsonl")
	ss, err := nb.Open(path, spec)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ss.Out = &out
	if err := ss.RunStage(); err != nil {
		t.Fatal(err)
	}
	trained := len(ss.Trained)
	if trained == 0 || !strings.Contains(out.String(), "running stage depth") || !strings.Contains(out.String(), "#0 ") {
		t.Errorf("trained %d, printed:\n%s", trained, out.String())
	}
	if err := ss.Close(); err != nil {
		t.Fatal(err)
	}

	ss, err = nb.Resume(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	ss.Out = nil
	if len(ss.Recorded) != trained || ss.Search.Stage() == nas.StageDepth {
		t.Errorf("resumed with %d decisions at stage %s, want %d past the depth stage", len(ss.Recorded), ss.Search.Stage(), trained)
	}
	for !ss.Search.Done() {
		if err := ss.RunStage(); err != nil {
			t.Fatal(err)
		}
	}
	if ss.TrainedAgain() != 0 {
		t.Errorf("trained again: %d", ss.TrainedAgain())
	}
	recs, err := nb.StageRecords(path, nas.StageDepth)
	if err != nil || len(recs) != trained || recs[0].Result.ValidAcc < recs[len(recs)-1].Result.ValidAcc {
		t.Errorf("depth records %v (%v), want %d best first", recs, err, trained)
	}
	out.Reset()
	if err := nb.PrintStage(&out, path, nas.StageDepth); err != nil || !strings.Contains(out.String(), "candidates of stage depth, best first") {
		t.Errorf("PrintStage: %v\n%s", err, out.String())
	}
}

// A ledger whose header records no data spec cannot be resumed alone; the
// error says what to do.
func TestResumeWithoutSpec(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.jsonl")
	l, err := ledger.Open(path, nas.LedgerHeader{Config: nas.DefaultConfig(), Recipe: nas.DefaultRecipe(), Dataset: "cifar10 (published log)"})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := nb.Resume(path); err == nil || !strings.Contains(err.Error(), "names no data spec") || !strings.Contains(err.Error(), path) {
		t.Errorf("err %v", err)
	}
}

// A ledger of another experiment is set aside whole, not refused, and the
// search starts afresh; the same experiment resumes.
func TestOpenSearchSetsAside(t *testing.T) {
	cfg := nas.DefaultConfig()
	cfg.MinDepth, cfg.MaxDepth, cfg.MinWidth, cfg.MaxWidth, cfg.WidthStep = 1, 2, 4, 4, 4
	rec := nas.DefaultRecipe()
	hdr := nas.LedgerHeader{Config: cfg, Recipe: rec, Dataset: "fake"}
	path := filepath.Join(t.TempDir(), "q.jsonl")
	r, aside, err := nb.OpenSearch(path, hdr)
	if err != nil || aside != "" {
		t.Fatalf("new ledger: aside %q, %v", aside, err)
	}
	ev := nas.EvaluatorFunc(func(_ context.Context, a nas.Arch) (nas.Result, error) {
		return nas.Result{Arch: a, ValidAcc: float64(50 + a.Depth())}, nil
	})
	if err := r.Run(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	r.Close()
	before, _ := os.ReadFile(path)

	r, aside, err = nb.OpenSearch(path, hdr)
	if err != nil || aside != "" || len(r.Search().Decisions()) == 0 {
		t.Fatalf("same experiment: aside %q, %v", aside, err)
	}
	r.Close()

	hdr.Recipe.TrainLimit = 100
	r, aside, err = nb.OpenSearch(path, hdr)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if aside == "" || len(r.Search().Decisions()) != 0 {
		t.Fatalf("other experiment: aside %q, %d decisions", aside, len(r.Search().Decisions()))
	}
	if kept, _ := os.ReadFile(aside); !bytes.Equal(kept, before) || filepath.Ext(aside) != ".jsonl" {
		t.Errorf("set aside as %s: %d bytes, want the old ledger's %d", aside, len(kept), len(before))
	}
	if _, err := ledger.Open(path, hdr); !errors.Is(err, ledger.ErrLocked) {
		t.Errorf("the new search's ledger is not held open: %v", err)
	}
}
