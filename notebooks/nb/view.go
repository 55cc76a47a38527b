package nb

import (
	"encoding/base64"
	"fmt"
	"html"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/runner"
	"github.com/trgnas/trgnas/nas/slurm"
	"github.com/trgnas/trgnas/nas/train"
	"github.com/trgnas/trgnas/plots"
)

// View shows a search as it runs, in one block of the cell's output that
// is updated in place: the stage, the candidates in training (one, or
// several with runner.Runner.RunParallel) with their epoch, step, speed,
// loss, accuracy and ETA, the Slurm jobs in flight, the decisions so far
// and the trajectory plot, redrawn after each decision. A saved notebook
// keeps the block's last state.
//
// Attach it to the runner (and to the trainer, for the training progress),
// run the search, then call Done:
//
//	v := nb.NewView("Fashion-MNIST search", run, trainer)
//	err := run.Run(ctx, trainer)
//	v.Done(err)
type View struct {
	mu        sync.Mutex
	search    *nas.Search
	id        string
	title     string
	recipe    nas.Recipe
	dataset   string
	started   time.Time
	flights   []*flight // candidates in training, in the order they started
	decisions []nas.Decision
	stageTime map[nas.Stage][]float64 // seconds of each candidate trained in this view, per stage
	jobList   []slurm.Job
	png       []byte
	state     string // "" while running
	shown     time.Time
	stop      chan struct{}
	publish   func(id, html string)
}

// flight is a candidate in training.
type flight struct {
	seq   int // -1: evaluated ahead of the search
	stage nas.Stage
	arch  nas.Arch
	start time.Time
	prog  *train.Progress
}

// NewView attaches a view to r, whose search may have decisions already (a
// resumed search), and to t's progress when t is not nil (it keeps any
// Progress, Before and decision hooks already set and calls them too).
func NewView(title string, r *runner.Runner, t *train.Trainer) *View {
	s := r.Search()
	v := &View{search: s, id: "trgnas-view-" + gonbui.UniqueId(), title: title, started: time.Now(),
		decisions: s.Decisions(), stageTime: map[nas.Stage][]float64{}, publish: gonbui.UpdateHTML}
	if t != nil {
		v.recipe = t.Recipe
		if t.Train != nil {
			v.dataset, _, _ = strings.Cut(t.Train.Name, "/") // the data, without the split's suffixes
		}
		prev := t.Progress
		t.Progress = func(a nas.Arch, p train.Progress) {
			v.Train(a, p)
			if prev != nil {
				prev(a, p)
			}
		}
	}
	before, ended, decided := r.Before, r.After, r.Progress
	r.Before = func(seq int, stage nas.Stage, a nas.Arch) {
		v.Before(seq, stage, a)
		if before != nil {
			before(seq, stage, a)
		}
	}
	r.After = func(a nas.Arch, err error) {
		v.After(a, err)
		if ended != nil {
			ended(a, err)
		}
	}
	r.Progress = func(d nas.Decision) {
		v.Decision(d)
		if decided != nil {
			decided(d)
		}
	}
	v.mu.Lock()
	v.redraw()
	v.show(true)
	v.mu.Unlock()
	return v
}

// Before is the search's Before hook: candidate seq of stage starts
// (seq -1: a candidate evaluated ahead).
func (v *View) Before(seq int, stage nas.Stage, a nas.Arch) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.drop(a.Key())
	v.flights = append(v.flights, &flight{seq: seq, stage: stage, arch: a.Clone(), start: time.Now()})
	v.show(true)
}

// After is the search's After hook: a's evaluation returned.
func (v *View) After(a nas.Arch, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if f := v.drop(a.Key()); f != nil && err == nil {
		v.stageTime[f.stage] = append(v.stageTime[f.stage], time.Since(f.start).Seconds())
	}
	v.show(true)
}

// drop removes the flight of key and returns it, or nil.
func (v *View) drop(key string) *flight {
	for i, f := range v.flights {
		if f.arch.Key() == key {
			v.flights = append(v.flights[:i], v.flights[i+1:]...)
			return f
		}
	}
	return nil
}

// Train is the trainer's Progress hook.
func (v *View) Train(a nas.Arch, p train.Progress) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, f := range v.flights {
		if f.arch.Key() == a.Key() {
			f.prog = &p
		}
	}
	v.show(p.Done != nil || p.Step == p.Steps)
}

// Decision is the search's Progress hook: a candidate was decided. A
// candidate evaluated ahead that the search now takes gets its place.
func (v *View) Decision(d nas.Decision) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.decisions = append(v.decisions, d)
	v.drop(d.Arch.Key())
	if next, stage, ok := v.search.Next(); ok {
		for _, f := range v.flights {
			if f.arch.Key() == next.Key() {
				f.seq, f.stage = d.Seq+1, stage
			}
		}
	}
	v.redraw()
	v.show(true)
}

// WatchJobs shows the Slurm jobs in flight (slurm.Evaluator.Jobs) every
// interval until Done.
func (v *View) WatchJobs(jobs func() []slurm.Job, every time.Duration) {
	stop := make(chan struct{})
	v.mu.Lock()
	v.stop = stop
	v.mu.Unlock()
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				list := jobs()
				v.mu.Lock()
				v.jobList = list
				v.show(true)
				v.mu.Unlock()
			}
		}
	}()
}

// Done shows the final state: the search finished (err nil), or stopped
// with err. The block keeps it.
func (v *View) Done(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.stop != nil {
		close(v.stop)
		v.stop = nil
	}
	v.jobList, v.flights = nil, nil
	v.state = "finished"
	if err != nil {
		v.state = "stopped: " + err.Error()
	}
	v.show(true)
	gonbui.Sync()
}

// HTML is the block as it is now.
func (v *View) HTML() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.html()
}

// show publishes the block: at once when now is set, else at most every
// half second (training steps come much faster).
func (v *View) show(now bool) {
	if !now && time.Since(v.shown) < 500*time.Millisecond {
		return
	}
	v.shown = time.Now()
	v.publish(v.id, v.html())
}

// redraw renders the trajectory of the decisions so far.
func (v *View) redraw() {
	if len(v.decisions) == 0 {
		return
	}
	recs := make([]nas.Record, len(v.decisions))
	for i, d := range v.decisions {
		recs[i] = nas.Record{Seq: d.Seq, Key: d.Arch.Key(), Stage: d.Stage, Accepted: d.Accepted, Reason: d.Reason,
			Override: d.Override, Recipe: v.recipe, Dataset: v.dataset, Result: d.Result}
	}
	p, err := plots.Trajectory(recs, plots.Options{})
	if err != nil {
		return
	}
	if b, err := plots.PNG(p, 6*vg.Inch, 3.2*vg.Inch); err == nil {
		v.png = b
	}
}

func (v *View) html() string {
	var b strings.Builder
	esc := html.EscapeString
	b.WriteString(`<div style="font-family: monospace; font-size: 12px; line-height: 1.4">`)
	fmt.Fprintf(&b, `<b>%s</b> · %s elapsed`, esc(v.title), time.Since(v.started).Round(time.Second))
	switch {
	case v.state == "finished":
		b.WriteString(` · <b>search finished`)
		if a, res, ok := v.search.Best(); ok {
			fmt.Fprintf(&b, `: found %s</b>, %s params, %.2f%% validation`, esc(a.Key()), nas.Thousands(res.Params), res.ValidAcc)
		} else {
			b.WriteString(`</b>`)
		}
	case v.state != "":
		fmt.Fprintf(&b, ` · <b>search %s</b>`, esc(v.state))
	}
	b.WriteString("<br>")
	cfg := v.search.Config()
	for _, f := range v.flights {
		who := fmt.Sprintf("candidate #%d", f.seq)
		if f.seq < 0 {
			who = "ahead"
		}
		fmt.Fprintf(&b, `stage <b>%s</b> · %s <b>%s</b> (%s params)`, f.stage, who, esc(f.arch.Key()),
			nas.Thousands(f.arch.Params(cfg.InChannels, cfg.Classes)))
		if p := f.prog; p != nil {
			fmt.Fprintf(&b, `<br>epoch %d/%d · step %d/%d · %.0f img/s · loss %.4f · acc %.2f%% · lr %.5f · candidate ETA %s`,
				p.Epoch+1, p.Epochs, p.Step, p.Steps, p.ImagesPerSec, p.Loss, p.Acc, p.LR, p.ETA.Round(time.Second))
		} else {
			fmt.Fprintf(&b, `<br>training for %s`, time.Since(f.start).Round(time.Second))
		}
		if f.seq >= 0 {
			if eta := v.stageETA(f); eta != "" {
				fmt.Fprintf(&b, ` · stage %s`, eta)
			}
		}
		b.WriteString("<br>")
	}
	if len(v.jobList) > 0 {
		b.WriteString(`<br>Slurm jobs in flight:<table style="font-family: monospace; font-size: 12px">`)
		for _, j := range v.jobList {
			fmt.Fprintf(&b, `<tr><td>%s</td><td>%s</td><td>%s</td><td>attempt %d</td><td>%s</td></tr>`,
				esc(j.Key), esc(j.ID), esc(j.State), j.Attempts, esc(lastSegment(j.Progress)))
		}
		b.WriteString(`</table>`)
	}
	if len(v.decisions) > 0 {
		fmt.Fprintf(&b, `<br>%d decisions:<table style="font-family: monospace; font-size: 12px">`, len(v.decisions))
		b.WriteString(`<tr><th>#</th><th>stage</th><th>network</th><th>params</th><th>valid</th><th>decision</th></tr>`)
		for _, d := range v.decisions {
			fmt.Fprintf(&b, `<tr><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%.2f%%</td><td>%s</td></tr>`,
				d.Seq, d.Stage, esc(d.Arch.Key()), nas.Thousands(d.Result.Params), d.Result.ValidAcc, esc(d.Reason))
		}
		b.WriteString(`</table>`)
	}
	if len(v.png) > 0 {
		fmt.Fprintf(&b, `<img src="data:image/png;base64,%s" alt="search trajectory">`, base64.StdEncoding.EncodeToString(v.png))
	}
	b.WriteString(`</div>`)
	return b.String()
}

// stageETA is a rough time left in the depth and width stages, whose
// length the configuration bounds: the mean candidate time of the stage
// so far times the candidates the stage can still ask for.
func (v *View) stageETA(f *flight) string {
	cfg := v.search.Config()
	var left int
	switch f.stage {
	case nas.StageDepth:
		left = cfg.MaxDepth - f.arch.Depth()
	case nas.StageWidth:
		if cfg.WidthStep > 0 {
			left = (f.arch.Width - cfg.MinWidth) / cfg.WidthStep
		}
	default:
		return ""
	}
	ts := v.stageTime[f.stage]
	if len(ts) == 0 || left < 0 {
		return fmt.Sprintf("at most %d more candidates", max(left, 0))
	}
	var sum float64
	for _, s := range ts {
		sum += s
	}
	mean := time.Duration(sum / float64(len(ts)) * float64(time.Second))
	return fmt.Sprintf("at most %d more candidates, about %s", left, (mean * time.Duration(left)).Round(time.Second))
}

// lastSegment is what a progress bar left last on a log line written with
// carriage returns.
func lastSegment(s string) string {
	if i := strings.LastIndex(s, "\r"); i >= 0 {
		return s[i+1:]
	}
	return s
}
