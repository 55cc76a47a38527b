package runner

import (
	"context"
	"fmt"

	"github.com/trgnas/trgnas/nas"
)

// RunParallel runs the search to its end with up to n evaluations in
// flight: besides the candidate the search asks for, it evaluates the
// candidates nas.Search.Lookahead predicts. Decisions are made in order, exactly as
// Run makes them, so the decisions and the final network are Run's on the
// same results. A predicted candidate that the decisions make useless is
// cancelled (its context ends: a Slurm evaluator scancels its job). A
// result that arrives for a candidate other than the one the search asks
// for is kept in the cache and, with a journal in use, appended to it at
// once as a record with Speculative set and Seq -1: it decides nothing, a
// resumed search uses it as a cache hit, and if the search asks for the
// candidate later its decision is recorded as usual. Before is called for
// every evaluation started, with seq -1 for a predicted candidate, and After
// for every one that returns. ev must
// allow n calls at once. With n <= 1 it is Run.
func (r *Runner) RunParallel(ctx context.Context, ev nas.Evaluator, n int) error {
	if n <= 1 {
		return r.Run(ctx, ev)
	}
	ctx, cancelAll := context.WithCancel(ctx)
	defer cancelAll()
	type flight struct {
		id     int
		stage  nas.Stage
		cancel context.CancelFunc
	}
	type outcome struct {
		id  int
		key string
		res nas.Result
		err error
	}
	done := make(chan outcome, n)
	inflight := map[string]flight{}
	failed := map[string]error{} // predicted candidates whose evaluation errored
	running, nextID := 0, 0
	ended := func(o outcome) {
		if r.After != nil {
			a, _ := nas.ParseKey(o.key)
			r.After(a, o.err)
		}
	}
	defer func() {
		cancelAll()
		for ; running > 0; running-- {
			ended(<-done)
		}
	}()
	for !r.s.Done() {
		want := r.s.Lookahead(n)
		wanted := map[string]bool{}
		for _, c := range want {
			wanted[c.Arch.Key()] = true
		}
		for k, f := range inflight {
			if !wanted[k] {
				f.cancel()
				delete(inflight, k)
			}
		}
		head := want[0].Arch.Key()
		if _, ok := r.cache[head]; ok {
			if _, _, err := r.Step(ctx, ev); err != nil {
				return err
			}
			continue
		}
		if err, ok := failed[head]; ok {
			return fmt.Errorf("%s candidate %d %s: %w", want[0].Stage, len(r.s.Decisions()), head, err)
		}
		for i, c := range want {
			k := c.Arch.Key()
			if running >= n {
				break
			}
			if _, ok := r.cache[k]; ok {
				continue
			}
			if _, ok := inflight[k]; ok {
				continue
			}
			if _, ok := failed[k]; ok {
				continue
			}
			if r.Before != nil {
				seq := len(r.s.Decisions())
				if i > 0 {
					seq = -1 // predicted: its place in the search is not known yet
				}
				r.Before(seq, c.Stage, c.Arch)
			}
			fctx, cancel := context.WithCancel(ctx)
			nextID++
			inflight[k] = flight{id: nextID, stage: c.Stage, cancel: cancel}
			running++
			go func(id int, a nas.Arch) {
				res, err := ev.Evaluate(fctx, a)
				done <- outcome{id: id, key: a.Key(), res: res, err: err}
			}(nextID, c.Arch)
		}
		if running == 0 {
			return fmt.Errorf("parallel search stalled at %s", head)
		}
		o := <-done
		running--
		ended(o)
		f, current := inflight[o.key]
		current = current && f.id == o.id
		stage := f.stage
		if current {
			f.cancel()
			delete(inflight, o.key)
		}
		switch {
		case o.err == nil:
			a, _ := nas.ParseKey(o.key)
			o.res = r.complete(a, o.res)
			r.cache[o.key] = o.res
			if next, _, _ := r.s.Next(); next.Key() != o.key {
				if err := r.appendSpeculative(stage, o.res); err != nil {
					return err
				}
			}
		case current:
			if err := ctx.Err(); err != nil {
				return err
			}
			failed[o.key] = o.err
		}
	}
	return nil
}

// appendSpeculative records a result the search has not asked for (yet)
// in the journal in use, if any.
func (r *Runner) appendSpeculative(stage nas.Stage, res nas.Result) error {
	l := r.j
	if l == nil {
		return nil
	}
	return l.AppendLine(l.Header().RecordLine(nas.Record{
		Seq: -1, Key: res.Arch.Key(), Stage: stage, Speculative: true, Reason: "speculative: evaluated ahead of the decisions",
		Result: res,
	}))
}
