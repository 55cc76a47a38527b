package runner_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/trgnas/trgnas/nas"
)

// The evaluators and configurations of package nas's tests.

// scoreEval answers from a table of scores keyed by Arch.Key(); other networks
// score def. It counts its calls.
type scoreEval struct {
	mu     sync.Mutex
	scores map[string]float64 // valid accuracy
	train  map[string]float64 // training accuracy; 99 if absent
	failed map[string]bool
	def    float64
	calls  map[string]int
}

func newScoreEval(def float64, scores map[string]float64) *scoreEval {
	return &scoreEval{scores: scores, train: map[string]float64{}, failed: map[string]bool{}, def: def, calls: map[string]int{}}
}

func (f *scoreEval) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := a.Key()
	f.calls[k]++
	if f.failed[k] {
		return nas.Result{Arch: a, Failed: true, Error: "NaN loss", ValidAcc: 99}, nil
	}
	v, ok := f.scores[k]
	if !ok {
		v = f.def
	}
	tr, ok := f.train[k]
	if !ok {
		tr = 99
	}
	return nas.Result{Arch: a, ValidAcc: v, TrainAcc: tr}, nil
}

func (f *scoreEval) total() int {
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// small is a search space small enough to write out: depth 3..5, width
// 8..16 step 4; with depth 3 the first 2 layers are searched.
func smallConfig() nas.Config {
	c := nas.DefaultConfig()
	c.MinDepth, c.MaxDepth, c.MinWidth, c.MaxWidth, c.WidthStep = 3, 5, 8, 16, 4
	return c
}

// trace renders decisions as "stage key +|-".
func traceOf(ds []nas.Decision, stage nas.Stage) []string {
	var out []string
	for _, d := range ds {
		if stage != "" && d.Stage != stage {
			continue
		}
		m := "-"
		if d.Accepted {
			m = "+"
		}
		out = append(out, fmt.Sprintf("%s %s", d.Arch.Key(), m))
	}
	return out
}

// depth 3 at 90, depth 4 drops: depth 3 and width 16 are kept.
var baseScores = map[string]float64{"w16-o000-k333": 90, "w16-o0000-k3333": 80, "w12-o000-k333": 80}

func mergeScores(ms ...map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
