package nas

import (
	"context"
	"fmt"
)

// UseLedger replays the ledger's content into the search and makes the
// search append every later result, override and stage start to it (l is
// usually a ledger file opened with package nas/ledger). The search must
// be fresh (nothing told yet) and the ledger's header config must be the
// search's. Every recorded result is a cache hit for Run and RunStage: a
// recorded candidate is never evaluated again.
func (s *Search) UseLedger(l Journal) error {
	if len(s.events) > 0 {
		return fmt.Errorf("ledger %s: the search has already been told results; use a fresh search", l.Path())
	}
	if d := diffJSON("config", l.Header().Config, s.cfg); len(d) > 0 {
		return fmt.Errorf("%w: %s: %v", ErrLedgerMismatch, l.Path(), d)
	}
	if err := s.replay(l.Content()); err != nil {
		s.events, s.st = nil, s.initial()
		return err
	}
	s.ledger, s.ledgerN = l, len(s.events)
	return nil
}

// Replay feeds a ledger's entries (of a file read with ledger.ReadFile) into
// a fresh search without attaching the file, e.g. to report on a ledger
// another process is still writing.
func (s *Search) Replay(lf *LedgerFile) error {
	if len(s.events) > 0 {
		return fmt.Errorf("ledger %s: the search has already been told results; use a fresh search", lf.Path)
	}
	return s.replay(lf)
}

// replay drives the search from the ledger's records: while the pending
// candidate has a record, its result is told; a user's override is applied
// after the decision it names and a user's stage start once as many
// decisions as it followed have been made. Replay stops at the first
// candidate the ledger lacks (the one in flight when the writer stopped, or
// one whose line was lost); records the search did not ask for, and
// speculative records (see RunParallel), stay in the cache. A recorded
// decision that the rules now make differently is an error naming the line.
func (s *Search) replay(lf *LedgerFile) error {
	if s.cache == nil {
		s.cache = map[string]Result{}
	}
	byKey := map[string]LedgerEntry{}
	overrides := map[int][]LedgerEntry{}
	starts := map[int][]LedgerEntry{}
	for _, e := range lf.Entries {
		switch {
		case e.Record != nil && e.Record.Speculative:
			// Evaluated ahead by RunParallel: a cache entry, not a decision.
			if _, ok := byKey[e.Record.Key]; !ok {
				s.cache[e.Record.Key] = e.Record.Result
			}
		case e.Record != nil:
			if _, ok := byKey[e.Record.Key]; !ok {
				byKey[e.Record.Key] = e
				s.cache[e.Record.Key] = e.Record.Result
			}
		case e.Override != nil:
			overrides[e.Override.Seq] = append(overrides[e.Override.Seq], e)
		case e.Start != nil:
			starts[e.Start.After] = append(starts[e.Start.After], e)
		}
	}
	at := func(e LedgerEntry, err error) error { return &LineError{Path: lf.Path, Line: e.Line, Err: err} }
	applyStarts := func(n int) error {
		for _, e := range starts[n] {
			if err := s.Start(e.Start.Stage, e.Start.Arch); err != nil {
				return at(e, err)
			}
		}
		return nil
	}
	if err := applyStarts(0); err != nil {
		return err
	}
	for {
		a, _, ok := s.Next()
		if !ok {
			return nil
		}
		e, ok := byKey[a.Key()]
		if !ok {
			return nil
		}
		d, err := s.Tell(e.Record.Result)
		if err != nil {
			return at(e, err)
		}
		if r := e.Record; r.Seq == d.Seq && r.Accepted != d.Accepted && !r.Override {
			return at(e, fmt.Errorf("record %d (%s) says accepted=%v (%s) but the rules now decide accepted=%v (%s)", r.Seq, r.Key, r.Accepted, r.Reason, d.Accepted, d.Reason))
		}
		for _, o := range overrides[d.Seq] {
			if _, err := s.Override(o.Override.Accepted, o.Override.Note); err != nil {
				return at(o, err)
			}
		}
		if err := applyStarts(d.Seq + 1); err != nil {
			return err
		}
	}
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

// RememberRecords adds to the cache the results of the records trained
// with the same recipe (seed included) on the same dataset, e.g. read with
// ledger.Read from a ledger of a search with another config. It returns how
// many it added.
func (s *Search) RememberRecords(recs []Record, recipe Recipe, dataset string) int {
	n := 0
	for _, r := range recs {
		if r.Recipe != recipe || r.Dataset != dataset || r.Seed != recipe.Seed || r.Speculative {
			continue
		}
		a, err := ParseKey(r.Key)
		if err != nil {
			continue
		}
		res := r.Result
		res.Arch = a
		s.Remember(res)
		n++
	}
	return n
}
