package nas

import "fmt"

// widthRule is the width stage: the current network WidthStep channels
// narrower each time, while it stays within WidthDropTol of the score the
// stage started from, down to MinWidth.
type widthRule struct{}

func (widthRule) enter(s *Search, st *state) {
	st.ref = st.curScore
	s.widthNext(st)
}

func (widthRule) judge(c Config, st *state, sc float64) (bool, string) {
	if sc >= st.ref-c.WidthDropTol {
		return true, fmt.Sprintf("accepted: %.2f >= %.2f - %.2f", sc, st.ref, c.WidthDropTol)
	}
	return false, fmt.Sprintf("rejected: %.2f < %.2f - %.2f", sc, st.ref, c.WidthDropTol)
}

func (widthRule) after(s *Search, st *state, accepted bool, cand Arch, sc, prevScore float64, start bool) {
	if start {
		st.ref = sc
	}
	if accepted {
		s.widthNext(st)
	} else {
		s.end(st, fmt.Sprintf("width %d rejected", cand.Width))
	}
}

func (s *Search) widthNext(st *state) {
	w := st.cur.Width - s.cfg.WidthStep
	if w < s.cfg.MinWidth {
		s.end(st, fmt.Sprintf("min width %d reached", s.cfg.MinWidth))
		return
	}
	a := st.cur.Clone()
	a.Width = w
	st.pending, st.hasPending = a, true
}
