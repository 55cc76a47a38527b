// Package runner drives a nas.Search: it evaluates the candidates the
// search asks for (one at a time, or several in flight), reuses results it
// already has, journals every decision, override and stage start to a
// ledger, and reports progress. The search's rules stay in package nas,
// which does no I/O; the training is an evaluator given by the caller
// (nas/train, nas/slurm, a replayed log), so this package links no GoMLX.
package runner

import (
	"context"
	"fmt"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
)

// Journal is where a runner and a final step (RunFinal) write their lines,
// in order: an open ledger file of package nas/ledger, or anything else
// that keeps lines.
type Journal interface {
	// Path names the journal in messages.
	Path() string
	// Header is what every line is produced with.
	Header() nas.LedgerHeader
	// Content is what the journal held when it was opened; RunFinal adds
	// the final records it appends.
	Content() *nas.LedgerFile
	// AppendLine writes one line: a nas.Record, LedgerStart, LedgerOverride
	// or FinalRecord.
	AppendLine(line any) error
}

// Runner runs a search against an evaluator, journaling it. A Runner is not
// safe for concurrent use.
type Runner struct {
	s       *nas.Search
	j       Journal // nil: nothing is journaled
	written int     // inputs of s already in j (nas.Search.Inputs)
	cache   map[string]nas.Result

	closer interface{ Close() error } // the ledger Open opened, or nil
	warns  []error

	// Progress, when set, is called by Step (and so Run, RunStage,
	// RunParallel) after each decision.
	Progress func(d nas.Decision)
	// Before, when set, is called before each evaluation (not for cache
	// hits), with seq -1 for a candidate RunParallel evaluates ahead.
	Before func(seq int, stage nas.Stage, a nas.Arch)
	// After, when set, is called when an evaluation Before announced
	// returns, with its error: a candidate RunParallel cancelled ends with
	// the context's error. A view of the candidates in training needs it,
	// since a cancelled one never gets a decision.
	After func(a nas.Arch, err error)
}

// New returns a runner of a fresh search with cfg. With a journal, the
// journal's content is replayed into the search first, and every later
// result, override and stage start is appended to it; every recorded result
// is a cache hit, so a recorded candidate is never evaluated again. The
// journal's header config must be cfg.
func New(cfg nas.Config, j Journal) (*Runner, error) {
	s, err := nas.NewSearch(cfg)
	if err != nil {
		return nil, err
	}
	r := &Runner{s: s, cache: map[string]nas.Result{}}
	if j == nil {
		return r, nil
	}
	hdr := j.Header()
	mine := hdr
	mine.Config = cfg
	if d := mine.Diff(hdr); len(d) > 0 {
		return nil, fmt.Errorf("%w: %s: %v", nas.ErrLedgerMismatch, j.Path(), d)
	}
	if err := s.Replay(j.Content()); err != nil {
		return nil, err
	}
	r.cache = j.Content().Results()
	r.j, r.written = j, s.Inputs()
	return r, nil
}

// Search returns the search the runner drives. Tell, Override and Start it
// through the runner, so that the journal records them.
func (r *Runner) Search() *nas.Search { return r.s }

// Journal returns the journal in use, or nil.
func (r *Runner) Journal() Journal { return r.j }

// Remember adds results to the cache Step consults before evaluating, e.g.
// the records of another ledger written with the same recipe, data and seed.
func (r *Runner) Remember(results ...nas.Result) {
	for _, res := range results {
		r.cache[res.Arch.Key()] = res
	}
}

// RememberRecords adds to the cache the results of the records trained
// with the same recipe (seed included) on the same dataset, e.g. read with
// ledger.Read from a ledger of a search with another config. It returns how
// many it added.
func (r *Runner) RememberRecords(recs []nas.Record, recipe nas.Recipe, dataset string) int {
	n := 0
	for _, rec := range recs {
		if rec.Recipe != recipe || rec.Dataset != dataset || rec.Seed != recipe.Seed || rec.Speculative {
			continue
		}
		a, err := nas.ParseKey(rec.Key)
		if err != nil {
			continue
		}
		res := rec.Result
		res.Arch = a
		r.Remember(res)
		n++
	}
	return n
}

// Tell is nas.Search.Tell, journaled.
func (r *Runner) Tell(res nas.Result) (nas.Decision, error) {
	d, err := r.s.Tell(res)
	if err != nil {
		return d, err
	}
	return d, r.flush()
}

// Override is nas.Search.Override, journaled.
func (r *Runner) Override(accept bool, reason string) (nas.Decision, error) {
	if err := r.flush(); err != nil {
		return nas.Decision{}, err
	}
	d, err := r.s.Override(accept, reason)
	if err != nil || r.j == nil {
		return d, err
	}
	return d, r.j.AppendLine(nas.OverrideLine(d, reason))
}

// Start is nas.Search.Start, journaled.
func (r *Runner) Start(stage nas.Stage, a nas.Arch) error {
	if err := r.s.Start(stage, a); err != nil {
		return err
	}
	return r.flush()
}

// flush appends the search's inputs not yet in the journal.
func (r *Runner) flush() error {
	if r.j == nil {
		r.written = r.s.Inputs()
		return nil
	}
	for ; r.written < r.s.Inputs(); r.written++ {
		if err := r.j.AppendLine(r.s.InputLine(r.j.Header(), r.written)); err != nil {
			return err
		}
	}
	return nil
}

// Step evaluates the pending candidate (or takes it from the cache) and
// tells its result. It returns the decision and whether the result came
// from the cache.
func (r *Runner) Step(ctx context.Context, ev nas.Evaluator) (d nas.Decision, cached bool, err error) {
	a, stage, ok := r.s.Next()
	if !ok {
		return nas.Decision{}, false, nas.ErrSearchDone
	}
	if err := ctx.Err(); err != nil {
		return nas.Decision{}, false, err
	}
	seq := len(r.s.Decisions())
	res, cached := r.cache[a.Key()]
	if !cached {
		if r.Before != nil {
			r.Before(seq, stage, a)
		}
		res, err = ev.Evaluate(ctx, a)
		if r.After != nil {
			r.After(a, err)
		}
		if err != nil {
			return nas.Decision{}, false, fmt.Errorf("%s candidate %d %s: %w", stage, seq, a.Key(), err)
		}
		res = r.complete(a, res)
	}
	d, err = r.Tell(res)
	if err != nil {
		return d, cached, err
	}
	r.cache[a.Key()] = res
	if r.Progress != nil {
		r.Progress(d)
	}
	return d, cached, nil
}

// complete fills what an evaluator may leave out of a's result.
func (r *Runner) complete(a nas.Arch, res nas.Result) nas.Result {
	if res.Arch.Width == 0 && len(res.Arch.Ops) == 0 {
		res.Arch = a
	}
	if res.Params == 0 {
		cfg := r.s.Config()
		res.Params = a.Params(cfg.InChannels, cfg.Classes)
	}
	return res
}

// RunStage runs the stage in progress to its end. It returns at the first
// evaluation error; the search then stays at that candidate.
func (r *Runner) RunStage(ctx context.Context, ev nas.Evaluator) error {
	stage := r.s.Stage()
	for !r.s.Done() && r.s.Stage() == stage {
		if _, _, err := r.Step(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// Run runs the search to its end. It returns at the first evaluation error;
// the search then stays at that candidate, and the journal holds every
// decision made.
func (r *Runner) Run(ctx context.Context, ev nas.Evaluator) error {
	for !r.s.Done() {
		if _, _, err := r.Step(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

var _ Journal = (*ledger.Ledger)(nil)
