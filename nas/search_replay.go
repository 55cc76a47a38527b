package nas

import "fmt"

// Replay feeds a ledger's entries (of a file read with ledger.ReadFile) into
// a fresh search, e.g. to report on a ledger another process is still
// writing; a runner replays its ledger this way before appending to it.
// On error the search holds the entries replayed before it.
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
// one whose line was lost); records the search did not ask for and
// speculative records are left to Results. A recorded decision that the
// rules now make differently is an error naming the line.
func (s *Search) replay(lf *LedgerFile) error {
	byKey := map[string]LedgerEntry{}
	overrides := map[int][]LedgerEntry{}
	starts := map[int][]LedgerEntry{}
	for _, e := range lf.Entries {
		switch {
		case e.Record != nil && !e.Record.Speculative:
			if _, ok := byKey[e.Record.Key]; !ok {
				byKey[e.Record.Key] = e
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

// Results returns the result of every candidate the ledger holds, by
// Arch.Key(): a runner's cache, so that no recorded candidate is evaluated
// again. A candidate's first decision record wins; a speculative record
// (evaluated ahead of the decisions) counts when it has none.
func (lf *LedgerFile) Results() map[string]Result {
	out := map[string]Result{}
	decided := map[string]bool{}
	for _, e := range lf.Entries {
		r := e.Record
		switch {
		case r == nil || decided[r.Key]:
		case r.Speculative:
			out[r.Key] = r.Result
		default:
			decided[r.Key] = true
			out[r.Key] = r.Result
		}
	}
	return out
}
