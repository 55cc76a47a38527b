// Package fast computes BroadcastInDim, ReduceSum, Sign, Mul, Max, the
// product of a tensor and the sign of another (MulSign) and the
// conversion of Bool masks of float32 and float64 tensors on flat
// row-major data, with the Go backend's semantics (XLA's, except Sign of
// NaN and -0, which the Go backend makes 0), for package cpu's kernel steps.
// Sign, Max, MulSign and FromBool have no branches on the data; the simd
// build (GOEXPERIMENT=simd) uses AVX2 for float32 Sign, Mul, Max, MulSign
// and row sums.
//
// Broadcast and ReduceSum first drop axes of size 1 and merge neighbouring
// axes that are contiguous in both the input and the output, which leaves
// a short list of alternating axes (copied/broadcast, or kept/reduced). The
// innermost run is then a copy or a fill (broadcast; a block repeated along
// a broadcast axis is replicated with doubling copies) or a tight loop
// (reduce: columns of rows summed in registers when the innermost axis is
// kept, the sum of a contiguous run when it is reduced).
//
// Large tensors are split between workers along the outermost merged axis.
// Results never depend on the number of workers or on scheduling: a
// broadcast only copies; a reduction either splits the output (each output
// element is summed by one worker in input order) or, when the outermost
// axis is reduced, sums a fixed number of chunks that depends only on the
// shape and adds the chunks' partial sums in chunk order.
package fast

import (
	"fmt"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/par"
)

// Float is the element type of the kernels.
type Float interface {
	~float32 | ~float64
}

// parallelMin is the number of elements (output for broadcasts, input for
// reductions) from which work is split between workers.
const parallelMin = 1 << 15

// chunkElems is the number of input elements per chunk of a reduction
// whose outermost merged axis is reduced; maxChunks bounds the chunks.
const (
	chunkElems = 1 << 15
	maxChunks  = 8
)

// axis is one merged axis: n indices, each a block of out output and in
// input elements (0 for a broadcast or a reduced axis, where the index
// does not move through that side).
type axis struct {
	n       int
	in, out int  // elements per index in the input and the output (strides)
	flag    bool // broadcast: copied (not broadcast); reduce: reduced
}

// size returns the product of dims, or an error for a negative one.
func size(dims []int) (int, error) {
	n := 1
	for i, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d at axis %d of %v", d, i, dims)
		}
		n *= d
	}
	return n, nil
}

// split runs work(part) for part in [0, parts), each part on its own
// goroutine, and waits for all.
func split(parts int, work func(part int)) {
	par.For(parts, parts, func(_, p int) { work(p) })
}

// bounds returns the range [lo, hi) of part p of n items in parts parts.
func bounds(n, parts, p int) (lo, hi int) {
	return n * p / parts, n * (p + 1) / parts
}
