package nas

import (
	"math"
	"slices"
)

// Spread returns n of the decisions' candidates spread evenly over their
// ranking by validation accuracy, the best and the worst included, best
// first: the sample to retrain at another budget for a rank agreement.
// Each network counts once and failed candidates are left out; n <= 0, or
// n at least their number, returns them all.
func Spread(ds []Decision, n int) []Decision {
	seen := map[string]bool{}
	var uniq []Decision
	for _, d := range ds {
		if k := d.Arch.Key(); !seen[k] && !d.Result.Failed {
			seen[k] = true
			uniq = append(uniq, d)
		}
	}
	slices.SortStableFunc(uniq, func(a, b Decision) int {
		switch {
		case a.Result.ValidAcc > b.Result.ValidAcc:
			return -1
		case a.Result.ValidAcc < b.Result.ValidAcc:
			return 1
		}
		return 0
	})
	if n <= 0 || n >= len(uniq) {
		return uniq
	}
	if n == 1 {
		return uniq[:1]
	}
	out := make([]Decision, 0, n)
	for i := range n {
		out = append(out, uniq[int(math.Round(float64(i)*float64(len(uniq)-1)/float64(n-1)))])
	}
	return out
}
