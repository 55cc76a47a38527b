package nas

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrRank is wrapped by the errors of the rank statistics: too few values,
// lengths that differ, NaN or infinite values, or a constant sample for
// which the statistic is undefined.
var ErrRank = errors.New("rank statistic")

// checkPaired validates two paired samples.
func checkPaired(x, y []float64) error {
	if len(x) != len(y) {
		return fmt.Errorf("%w: %d x values but %d y values", ErrRank, len(x), len(y))
	}
	if len(x) < 2 {
		return fmt.Errorf("%w: %d pairs, need at least 2", ErrRank, len(x))
	}
	for i := range x {
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			return fmt.Errorf("%w: x[%d] = %g", ErrRank, i, x[i])
		}
		if math.IsNaN(y[i]) || math.IsInf(y[i], 0) {
			return fmt.Errorf("%w: y[%d] = %g", ErrRank, i, y[i])
		}
	}
	return nil
}

// Ranks returns the 1-based ranks of x in ascending order; tied values get
// the average of the ranks they span (ranks of 1, 2.5, 2.5, 4 for
// 10, 20, 20, 30). NaN values are not allowed: the caller checks.
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] < x[idx[b]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		avg := float64(i+1+j) / 2 // mean of ranks i+1 .. j
		for k := i; k < j; k++ {
			r[idx[k]] = avg
		}
		i = j
	}
	return r
}

// KendallTau returns Kendall's tau-b of the paired samples x and y:
// (concordant - discordant) / sqrt((n0 - tx) * (n0 - ty)), where n0 is the
// number of pairs and tx, ty the pairs tied in x and in y (a pair tied in
// both counts in tx and in ty, and is neither concordant nor discordant).
// It is undefined (an error) when x or y is constant.
func KendallTau(x, y []float64) (float64, error) {
	if err := checkPaired(x, y); err != nil {
		return 0, err
	}
	var conc, disc, tx, ty, n0 int64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			n0++
			dx, dy := x[i]-x[j], y[i]-y[j]
			switch {
			case dx == 0 && dy == 0:
				tx++
				ty++
			case dx == 0:
				tx++
			case dy == 0:
				ty++
			case (dx > 0) == (dy > 0):
				conc++
			default:
				disc++
			}
		}
	}
	den := math.Sqrt(float64(n0-tx) * float64(n0-ty))
	if den == 0 {
		return 0, fmt.Errorf("%w: Kendall's tau is undefined when x or y is constant", ErrRank)
	}
	return float64(conc-disc) / den, nil
}

// Spearman returns Spearman's rank correlation rho of the paired samples:
// the Pearson correlation of their average ranks (see Ranks), which handles
// ties. It is undefined (an error) when x or y is constant.
func Spearman(x, y []float64) (float64, error) {
	if err := checkPaired(x, y); err != nil {
		return 0, err
	}
	rx, ry := Ranks(x), Ranks(y)
	mean := float64(len(x)+1) / 2 // mean of ranks 1..n, ties included
	var sxy, sxx, syy float64
	for i := range rx {
		a, b := rx[i]-mean, ry[i]-mean
		sxy += a * b
		sxx += a * a
		syy += b * b
	}
	if sxx == 0 || syy == 0 {
		return 0, fmt.Errorf("%w: Spearman's rho is undefined when x or y is constant", ErrRank)
	}
	return sxy / math.Sqrt(sxx*syy), nil
}

// Pair is one candidate scored in two ledgers.
type Pair struct {
	Key  string
	A, B Record
}

// MatchRecords pairs the candidates of two ledgers by Key, in the order of
// a's records. Failed records and records whose validation accuracy is NaN
// or infinite are left out; when a key appears more than once in a ledger,
// its record with the highest Seq is used. unmatched counts the usable keys
// present in only one ledger.
func MatchRecords(a, b []Record) (pairs []Pair, unmatched int) {
	usable := func(r Record) bool {
		v := r.Result.ValidAcc
		return !r.Result.Failed && !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	index := func(recs []Record) (map[string]Record, []string) {
		m := map[string]Record{}
		var order []string
		for _, r := range recs {
			if !usable(r) {
				continue
			}
			old, seen := m[r.Key]
			if !seen {
				order = append(order, r.Key)
			}
			if !seen || r.Seq >= old.Seq {
				m[r.Key] = r
			}
		}
		return m, order
	}
	ma, order := index(a)
	mb, _ := index(b)
	for _, k := range order {
		if rb, ok := mb[k]; ok {
			pairs = append(pairs, Pair{Key: k, A: ma[k], B: rb})
		} else {
			unmatched++
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			unmatched++
		}
	}
	return pairs, unmatched
}
