package nas

import (
	"context"
	"fmt"
)

// Candidate is a network the search will ask for, with its stage.
type Candidate struct {
	Arch  Arch
	Stage Stage
}

// Lookahead returns up to n distinct candidates the search may ask for
// next, the first being Next's candidate. The others come from both
// outcomes of the decisions in between: the likely one (a deeper network
// neither accepted nor stopping the depth stage, a narrower one accepted,
// an operation or kernel change rejected) and the other one (the depth or
// width stage ends; the operation or kernel change is accepted). They are
// ordered by how far ahead they are, counting a step along the other
// outcome as altCost steps, so that the slots go to the candidates most
// likely to be needed soon. The search itself is not changed.
func (s *Search) Lookahead(n int) []Candidate {
	type node struct {
		st   state
		cost int
	}
	var out []Candidate
	seen := map[string]bool{}
	queue := []node{{st: s.st.fork()}}
	for len(out) < n && len(queue) > 0 {
		// Take the cheapest node; among equals, the oldest.
		best := 0
		for i, q := range queue {
			if q.cost < queue[best].cost {
				best = i
			}
		}
		nd := queue[best]
		queue = append(queue[:best], queue[best+1:]...)
		st := nd.st
		if !st.hasPending {
			continue
		}
		stage := st.stages[st.stageIdx]
		if k := st.pending.Key(); !seen[k] {
			seen[k] = true
			out = append(out, Candidate{Arch: st.pending.Clone(), Stage: stage})
		}
		likely, other := st.fork(), st.fork()
		if s.apply(&likely, event{kind: evResult, res: Result{Arch: st.pending.Clone(), ValidAcc: st.curScore}}) == nil {
			queue = append(queue, node{st: likely, cost: nd.cost + 1})
		}
		alt := event{kind: evResult, res: Result{Arch: st.pending.Clone(), ValidAcc: st.curScore}}
		switch stage {
		case StageDepth, StageWidth:
			alt.res.ValidAcc = -1e9 // far below anything: the stage ends
		default:
			yes := true
			alt.force = &yes
		}
		if s.apply(&other, alt) == nil {
			queue = append(queue, node{st: other, cost: nd.cost + 1 + altCost})
		}
	}
	return out
}

// altCost is the extra lookahead cost of a step along the less likely
// outcome of a decision (see Lookahead).
const altCost = 2

// fork returns a copy of st that can be changed without changing st.
func (st state) fork() state {
	st.decisions = st.decisions[:len(st.decisions):len(st.decisions)]
	st.notes = st.notes[:len(st.notes):len(st.notes)]
	st.options = append([][2]int(nil), st.options...)
	st.pending = st.pending.Clone()
	st.cur = st.cur.Clone()
	return st
}

// RunParallel runs the search to its end with up to n evaluations in
// flight: besides the candidate the search asks for, it evaluates the
// candidates Lookahead predicts. Decisions are made in order, exactly as
// Run makes them, so the decisions and the final network are Run's on the
// same results. A predicted candidate that the decisions make useless is
// cancelled (its context ends: a Slurm evaluator scancels its job). A
// result that arrives for a candidate other than the one the search asks
// for is kept in the cache and, with a ledger in use, appended to it at
// once as a record with Speculative set and Seq -1: it decides nothing, a
// resumed search uses it as a cache hit, and if the search asks for the
// candidate later its decision is recorded as usual. Before is called for
// every evaluation started, with seq -1 for a predicted candidate. ev must
// allow n calls at once. With n <= 1 it is Run.
func (s *Search) RunParallel(ctx context.Context, ev Evaluator, n int) error {
	if n <= 1 {
		return s.Run(ctx, ev)
	}
	ctx, cancelAll := context.WithCancel(ctx)
	defer cancelAll()
	if s.cache == nil {
		s.cache = map[string]Result{}
	}
	type flight struct {
		id     int
		stage  Stage
		cancel context.CancelFunc
	}
	type outcome struct {
		id  int
		key string
		res Result
		err error
	}
	done := make(chan outcome, n)
	inflight := map[string]flight{}
	failed := map[string]error{} // predicted candidates whose evaluation errored
	running, nextID := 0, 0
	defer func() {
		cancelAll()
		for ; running > 0; running-- {
			<-done
		}
	}()
	for !s.Done() {
		want := s.Lookahead(n)
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
		if _, ok := s.cache[head]; ok {
			if _, _, err := s.Step(ctx, ev); err != nil {
				return err
			}
			continue
		}
		if err, ok := failed[head]; ok {
			return fmt.Errorf("%s candidate %d %s: %w", want[0].Stage, len(s.st.decisions), head, err)
		}
		for i, c := range want {
			k := c.Arch.Key()
			if running >= n {
				break
			}
			if _, ok := s.cache[k]; ok {
				continue
			}
			if _, ok := inflight[k]; ok {
				continue
			}
			if _, ok := failed[k]; ok {
				continue
			}
			if s.Before != nil {
				seq := len(s.st.decisions)
				if i > 0 {
					seq = -1 // predicted: its place in the search is not known yet
				}
				s.Before(seq, c.Stage, c.Arch)
			}
			fctx, cancel := context.WithCancel(ctx)
			nextID++
			inflight[k] = flight{id: nextID, stage: c.Stage, cancel: cancel}
			running++
			go func(id int, a Arch) {
				res, err := ev.Evaluate(fctx, a)
				done <- outcome{id: id, key: a.Key(), res: res, err: err}
			}(nextID, c.Arch)
		}
		if running == 0 {
			return fmt.Errorf("parallel search stalled at %s", head)
		}
		o := <-done
		running--
		f, current := inflight[o.key]
		current = current && f.id == o.id
		stage := f.stage
		if current {
			f.cancel()
			delete(inflight, o.key)
		}
		switch {
		case o.err == nil:
			a, _ := ParseKey(o.key)
			if o.res.Arch.Width == 0 && len(o.res.Arch.Ops) == 0 {
				o.res.Arch = a
			}
			if o.res.Params == 0 {
				o.res.Params = a.Params(s.cfg.InChannels, s.cfg.Classes)
			}
			s.cache[o.key] = o.res
			if next, _, _ := s.Next(); next.Key() != o.key {
				if err := s.appendSpeculative(stage, o.res); err != nil {
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
// in the ledger in use, if any.
func (s *Search) appendSpeculative(stage Stage, res Result) error {
	l := s.ledger
	if l == nil {
		return nil
	}
	return l.AppendLine(l.Header().recordLine(Record{
		Seq: -1, Key: res.Arch.Key(), Stage: stage, Speculative: true, Reason: "speculative: evaluated ahead of the decisions",
		Result: res,
	}))
}
