// Package nastest holds the fake evaluator and the small search space that
// the tests of package nas and of its runner share.
package nastest

import (
	"context"
	"fmt"
	"sync"

	"github.com/trgnas/trgnas/nas"
)

// ScoreEval answers from a table of scores keyed by Arch.Key(); other
// networks score Def. It counts its calls.
type ScoreEval struct {
	mu     sync.Mutex
	Scores map[string]float64 // valid accuracy
	Train  map[string]float64 // training accuracy; 99 if absent
	Failed map[string]bool
	Def    float64
	Calls  map[string]int
}

// NewScoreEval returns an evaluator of the scores, def for the others.
func NewScoreEval(def float64, scores map[string]float64) *ScoreEval {
	return &ScoreEval{Scores: scores, Train: map[string]float64{}, Failed: map[string]bool{}, Def: def, Calls: map[string]int{}}
}

// Evaluate implements nas.Evaluator.
func (f *ScoreEval) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := a.Key()
	f.Calls[k]++
	if f.Failed[k] {
		return nas.Result{Arch: a, Failed: true, Error: "NaN loss", ValidAcc: 99}, nil
	}
	v, ok := f.Scores[k]
	if !ok {
		v = f.Def
	}
	tr, ok := f.Train[k]
	if !ok {
		tr = 99
	}
	return nas.Result{Arch: a, ValidAcc: v, TrainAcc: tr}, nil
}

// Total counts the evaluations of all networks.
func (f *ScoreEval) Total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.Calls {
		n += c
	}
	return n
}

// SmallConfig is a search space small enough to write out: depth 3..5,
// width 8..16 step 4; with depth 3 the first 2 layers are searched.
func SmallConfig() nas.Config {
	c := nas.DefaultConfig()
	c.MinDepth, c.MaxDepth, c.MinWidth, c.MaxWidth, c.WidthStep = 3, 5, 8, 16, 4
	return c
}

// Trace renders decisions (of one stage, or all for "") as "key +|-".
func Trace(ds []nas.Decision, stage nas.Stage) []string {
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

// BaseScores: depth 3 at 90, depth 4 drops: depth 3 and width 16 are kept.
var BaseScores = map[string]float64{"w16-o000-k333": 90, "w16-o0000-k3333": 80, "w12-o000-k333": 80}

// MergeScores returns one table of the tables, later ones winning.
func MergeScores(ms ...map[string]float64) map[string]float64 {
	out := map[string]float64{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
