package nas

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
