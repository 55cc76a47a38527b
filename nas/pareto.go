package nas

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrPareto is wrapped by the errors of ParetoFront.
var ErrPareto = errors.New("pareto front")

// ParetoFront returns the indices of the points not dominated by any other,
// where a point is better with a lower cost and a higher value: i is
// dominated when some j has cost[j] <= cost[i] and value[j] >= value[i],
// with at least one of the two strict. Points equal in both cost and value
// do not dominate each other, so duplicates on the front are all returned.
// The indices are sorted by ascending cost (then by index). NaN or infinite
// inputs and slices of different lengths are errors naming the index.
func ParetoFront(cost, value []float64) ([]int, error) {
	if len(cost) != len(value) {
		return nil, fmt.Errorf("%w: %d costs but %d values", ErrPareto, len(cost), len(value))
	}
	for i := range cost {
		if math.IsNaN(cost[i]) || math.IsInf(cost[i], 0) {
			return nil, fmt.Errorf("%w: cost[%d] = %g", ErrPareto, i, cost[i])
		}
		if math.IsNaN(value[i]) || math.IsInf(value[i], 0) {
			return nil, fmt.Errorf("%w: value[%d] = %g", ErrPareto, i, value[i])
		}
	}
	idx := make([]int, len(cost))
	for i := range idx {
		idx[i] = i
	}
	// Ascending cost, and for equal cost descending value: then a point is
	// on the front iff its value is above every value seen at a strictly
	// lower cost and it is the best at its own cost.
	sort.SliceStable(idx, func(a, b int) bool {
		i, j := idx[a], idx[b]
		if cost[i] != cost[j] {
			return cost[i] < cost[j]
		}
		return value[i] > value[j]
	})
	var front []int
	best := math.Inf(-1) // best value at strictly lower cost
	for s := 0; s < len(idx); {
		e := s + 1
		for e < len(idx) && cost[idx[e]] == cost[idx[s]] {
			e++
		}
		top := value[idx[s]] // the group's best value
		if top > best {
			var group []int
			for k := s; k < e && value[idx[k]] == top; k++ {
				group = append(group, idx[k])
			}
			sort.Ints(group)
			front = append(front, group...)
			best = top
		}
		s = e
	}
	return front, nil
}
