package nas

import "fmt"

// depthRule is the depth stage: uniform SepConv 3x3 networks of the
// current width, one layer deeper each time, while the deeper network is
// within DepthTol of the current one (accepted from DepthGain up), until
// the target accuracy, MaxDepth, a training accuracy of 100 or the
// parameter budget.
type depthRule struct{}

func (depthRule) enter(s *Search, st *state) {
	if !st.haveCur {
		st.depth = s.cfg.MinDepth
		st.pending, st.hasPending = Uniform(s.cfg.MaxWidth, s.cfg.MinDepth, OpSepConv, 3), true
		return
	}
	st.depth = st.cur.Depth()
	s.depthNext(st)
}

func (depthRule) judge(c Config, st *state, sc float64) (bool, string) {
	cur := st.curScore
	switch {
	case sc >= cur+c.DepthGain:
		return true, fmt.Sprintf("accepted: %.2f >= %.2f + %.2f", sc, cur, c.DepthGain)
	case sc >= cur-c.DepthTol:
		return false, fmt.Sprintf("rejected, going deeper: %.2f < %.2f + %.2f and >= %.2f - %.2f", sc, cur, c.DepthGain, cur, c.DepthTol)
	default:
		return false, fmt.Sprintf("rejected: %.2f < %.2f - %.2f", sc, cur, c.DepthTol)
	}
}

func (depthRule) after(s *Search, st *state, accepted bool, cand Arch, sc, prevScore float64, start bool) {
	st.depth = cand.Depth()
	if accepted || sc >= prevScore-s.cfg.DepthTol {
		s.depthNext(st)
	} else {
		s.end(st, fmt.Sprintf("%.2f < %.2f - %.2f", sc, prevScore, s.cfg.DepthTol))
	}
}

func (s *Search) depthNext(st *state) {
	c := s.cfg
	switch {
	case st.curScore >= c.TargetAcc-c.TargetTol:
		s.end(st, fmt.Sprintf("target reached, %.2f >= %.2f - %.2f", st.curScore, c.TargetAcc, c.TargetTol))
	case st.depth >= c.MaxDepth:
		s.end(st, fmt.Sprintf("max depth %d reached", c.MaxDepth))
	case !st.curRes.Failed && st.curRes.TrainAcc >= 100:
		s.end(st, fmt.Sprintf("training accuracy of the current network is %.2f", st.curRes.TrainAcc))
	default:
		a := Uniform(st.cur.Width, st.depth+1, OpSepConv, 3)
		if !c.fits(a) {
			s.end(st, fmt.Sprintf("depth %d would have %s params, over the budget of %s", a.Depth(),
				Thousands(a.Params(c.InChannels, c.Classes)), Thousands(c.MaxParams)))
			return
		}
		st.pending, st.hasPending = a, true
	}
}
