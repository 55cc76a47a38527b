package nas

import (
	"context"
	"fmt"
)

// UseLedger replays the ledger's content into the search and makes the
// search append every later result, override and stage start to it. The
// search must be fresh (nothing told yet) and the ledger's header config
// must be the search's. Replayed candidates and every recorded result
// become cache hits for Run and RunStage: a recorded candidate is never
// evaluated again. A ledger whose records the search would not have asked
// for is refused with the line that diverges.
func (s *Search) UseLedger(l *Ledger) error {
	if len(s.events) > 0 {
		return fmt.Errorf("ledger %s: the search has already been told results; use a fresh search", l.path)
	}
	if d := diffJSON("config", l.hdr.Config, s.cfg); len(d) > 0 {
		return fmt.Errorf("%w: %s: %v", ErrLedgerMismatch, l.path, d)
	}
	if err := s.replay(l.read); err != nil {
		s.events, s.st = nil, s.initial()
		return err
	}
	s.ledger, s.ledgerN = l, len(s.events)
	return nil
}

// Replay feeds a ledger's entries (of a file read with ReadLedgerFile) into
// a fresh search without attaching the file, e.g. to report on a ledger
// another process is still writing.
func (s *Search) Replay(lf *LedgerFile) error {
	if len(s.events) > 0 {
		return fmt.Errorf("ledger %s: the search has already been told results; use a fresh search", lf.Path)
	}
	return s.replay(lf)
}

func (s *Search) replay(lf *LedgerFile) error {
	if s.cache == nil {
		s.cache = map[string]Result{}
	}
	for _, e := range lf.Entries {
		at := func(err error) error { return &LineError{Path: lf.Path, Line: e.Line, Err: err} }
		switch {
		case e.Record != nil:
			r := e.Record
			s.cache[r.Key] = r.Result
			a, stage, ok := s.Next()
			if !ok {
				return at(fmt.Errorf("record %d (%s) but the search is finished", r.Seq, r.Key))
			}
			if a.Key() != r.Key || stage != r.Stage {
				return at(fmt.Errorf("record %d is %s %s but the search asks for %s %s", r.Seq, r.Stage, r.Key, stage, a.Key()))
			}
			d, err := s.Tell(r.Result)
			if err != nil {
				return at(err)
			}
			if d.Seq != r.Seq || d.Accepted != r.Accepted {
				return at(fmt.Errorf("record %d says accepted=%v (%s) but the search decides %d accepted=%v (%s)", r.Seq, r.Accepted, r.Reason, d.Seq, d.Accepted, d.Reason))
			}
		case e.Start != nil:
			if err := s.Start(e.Start.Stage, e.Start.Arch); err != nil {
				return at(err)
			}
		case e.Override != nil:
			ds := s.st.decisions
			if len(ds) == 0 || ds[len(ds)-1].Seq != e.Override.Seq {
				return at(fmt.Errorf("override of candidate %d does not follow its record", e.Override.Seq))
			}
			if _, err := s.Override(e.Override.Accepted, e.Override.Note); err != nil {
				return at(err)
			}
		}
	}
	return nil
}

// Remember adds results to the cache Run and RunStage consult before
// evaluating, e.g. the records of another ledger written with the same
// recipe, data and seed.
func (s *Search) Remember(results ...Result) {
	if s.cache == nil {
		s.cache = map[string]Result{}
	}
	for _, r := range results {
		s.cache[r.Arch.Key()] = r
	}
}

// Step evaluates the pending candidate (or takes it from the cache) and
// tells its result. It returns the decision and whether the result came
// from the cache.
func (s *Search) Step(ctx context.Context, ev Evaluator) (d Decision, cached bool, err error) {
	a, stage, ok := s.Next()
	if !ok {
		return Decision{}, false, ErrSearchDone
	}
	if err := ctx.Err(); err != nil {
		return Decision{}, false, err
	}
	res, cached := s.cache[a.Key()]
	if !cached {
		if s.Before != nil {
			s.Before(len(s.st.decisions), stage, a)
		}
		res, err = ev.Evaluate(ctx, a)
		if err != nil {
			return Decision{}, false, fmt.Errorf("%s candidate %d %s: %w", stage, len(s.st.decisions), a.Key(), err)
		}
		if res.Arch.Width == 0 && len(res.Arch.Ops) == 0 {
			res.Arch = a
		}
		if res.Params == 0 {
			res.Params = a.Params(s.cfg.InChannels, s.cfg.Classes)
		}
	}
	d, err = s.Tell(res)
	if err != nil {
		return d, cached, err
	}
	if s.cache == nil {
		s.cache = map[string]Result{}
	}
	s.cache[a.Key()] = res
	if s.Progress != nil {
		s.Progress(d)
	}
	return d, cached, nil
}

// RunStage runs the stage in progress to its end. It returns at the first
// evaluation error; the search then stays at that candidate.
func (s *Search) RunStage(ctx context.Context, ev Evaluator) error {
	stage := s.Stage()
	for !s.Done() && s.Stage() == stage {
		if _, _, err := s.Step(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// Run runs the search to its end. It returns at the first evaluation error;
// the search then stays at that candidate, and a ledger in use holds every
// decision made.
func (s *Search) Run(ctx context.Context, ev Evaluator) error {
	for !s.Done() {
		if _, _, err := s.Step(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}
