package nas

import "fmt"

// layerRule is the operation, kernel and joint stages: layer by layer,
// each other operation, kernel or both of the layer, accepted when it
// beats the current network by more than OpMargin (KernelMargin in the
// kernel stage).
type layerRule struct{ margin func(Config) float64 }

func (layerRule) enter(s *Search, st *state) {
	st.layer, st.options = -1, nil
	s.layerNext(st)
}

func (r layerRule) judge(c Config, st *state, sc float64) (bool, string) {
	cur, m := st.curScore, r.margin(c)
	if sc > cur+m {
		return true, fmt.Sprintf("accepted: %.2f > %.2f + %.2f", sc, cur, m)
	}
	return false, fmt.Sprintf("rejected: %.2f <= %.2f + %.2f", sc, cur, m)
}

func (layerRule) after(s *Search, st *state, accepted bool, cand Arch, sc, prevScore float64, start bool) {
	if start {
		st.layer, st.options = -1, nil
	}
	s.layerNext(st)
}

// layerNext sets the next (layer, op, kernel) candidate of the operation,
// kernel or joint stage, or ends the stage.
func (s *Search) layerNext(st *state) {
	stage := st.stages[st.stageIdx]
	n := s.cfg.searchedLayers(st.cur.Depth())
	for {
		for len(st.options) > 0 {
			o := st.options[0]
			st.options = st.options[1:]
			a := st.cur.Clone()
			a.Ops[st.layer], a.Kernels[st.layer] = o[0], o[1]
			if a.Key() != st.cur.Key() && s.cfg.fits(a) {
				st.pending, st.hasPending = a, true
				return
			}
		}
		st.layer++
		if st.layer >= n {
			if n == 0 {
				s.end(st, fmt.Sprintf("no layer to search at depth %d", st.cur.Depth()))
			} else {
				s.end(st, fmt.Sprintf("searched layers 0..%d", n-1))
			}
			return
		}
		op, k := st.cur.Ops[st.layer], st.cur.Kernels[st.layer]
		switch stage {
		case StageOperation:
			st.options = [][2]int{{1 - op, k}}
		case StageKernel:
			for _, kk := range validKernels {
				if kk != k {
					st.options = append(st.options, [2]int{op, kk})
				}
			}
		case StageJoint:
			for _, kk := range validKernels {
				for _, oo := range []int{OpSepConv, OpConv} {
					if kk != k || oo != op {
						st.options = append(st.options, [2]int{oo, kk})
					}
				}
			}
		}
	}
}
