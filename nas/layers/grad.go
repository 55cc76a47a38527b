package layers

import (
	"fmt"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"

	"github.com/trgnas/trgnas/nas/backend"
)

// withGradient returns value in the forward pass, while in the backward pass
// the gradient with respect to inputs comes from grad, which gets the adjoint
// v (the gradient of the loss with respect to value, same shape as value)
// and need (need[i] is false for inputs marked with graph.StopGradient) and
// returns one gradient per input, each shaped as its input, or nil where
// need[i] is false. Gradients flowing through value itself are stopped.
//
// GoMLX lets a custom gradient be set only on a one-input identity
// (graph.IdentityWithCustomGradient). So the inputs are flattened and packed
// into one vector q (zero-padded to at least value's size); an identity with
// the custom gradient is put on q, and value gets S - StopGradient(S) added,
// S being the first size(value) entries of that identity: zero in the
// forward pass, and in the backward pass the identity's adjoint carries v in
// those entries. The custom gradient reads v there and returns the packed
// input gradients, which Concatenate's gradient routes back to the inputs.
//
// The cost is copies of the inputs (and of v) of their own size, small next
// to the products they differentiate.
func withGradient(value *graph.Node, inputs []*graph.Node, grad func(v *graph.Node, need []bool) []*graph.Node) *graph.Node {
	g := value.Graph()
	dtype := value.DType()
	valueSize := value.Shape().Size()
	need := make([]bool, len(inputs))
	parts := make([]*graph.Node, 0, len(inputs)+1)
	total := 0
	for i, in := range inputs {
		if in.StopGradient() {
			continue
		}
		need[i] = true
		parts = append(parts, graph.Reshape(in, in.Shape().Size()))
		total += in.Shape().Size()
	}
	if total == 0 {
		return value // Nothing to differentiate.
	}
	padding := max(valueSize-total, 0)
	if padding > 0 {
		parts = append(parts, graph.Zeros(g, shapes.Make(dtype, padding)))
	}
	packed := graph.Concatenate(parts, 0)
	carrier := graph.IdentityWithCustomGradient(packed, func(_, vPacked *graph.Node) *graph.Node {
		v := graph.Reshape(graph.Slice(vPacked, graph.AxisRange(0, valueSize)), value.Shape().Dimensions...)
		grads := grad(v, need)
		if len(grads) != len(inputs) {
			panic(fmt.Errorf("layers: custom gradient returned %d gradients for %d inputs", len(grads), len(inputs)))
		}
		flat := make([]*graph.Node, 0, len(grads)+1)
		for i, gr := range grads {
			if !need[i] {
				continue
			}
			if gr == nil || !gr.Shape().Equal(inputs[i].Shape()) {
				panic(fmt.Errorf("layers: custom gradient #%d is %v, want shape %s", i, gr, inputs[i].Shape()))
			}
			flat = append(flat, graph.Reshape(gr, gr.Shape().Size()))
		}
		if padding > 0 {
			flat = append(flat, graph.Zeros(g, shapes.Make(dtype, padding)))
		}
		return graph.Concatenate(flat, 0)
	})
	s := graph.Reshape(graph.Slice(carrier, graph.AxisRange(0, valueSize)), value.Shape().Dimensions...)
	return graph.Add(graph.StopGradient(value), graph.Sub(s, graph.StopGradient(s)))
}

// Dot returns the matrix product of a [m,k] and b [k,n], shaped [m,n], with
// a gradient made of two matrix products (dA = v·bᵀ, dB = aᵀ·v).
//
// An operand marked with graph.StopGradient gets no gradient computed.
//
// GoMLX v0.26.0's own gradient of Dot/DotGeneral multiplied the adjoint
// into a full [m,n,k] tensor before reducing it, which for a matrix product
// over a batch of image positions runs into gigabytes. (GoMLX v0.28's is
// made of DotGenerals too; this one keeps the graph the same on every
// version and backend.)
func Dot(a, b *graph.Node) *graph.Node {
	if a.Rank() != 2 || b.Rank() != 2 || a.Shape().Dimensions[1] != b.Shape().Dimensions[0] {
		panic(fmt.Errorf("layers.Dot: want a [m,k] and b [k,n], got %s and %s", a.Shape(), b.Shape()))
	}
	y := matmul(a, b)
	return withGradient(y, []*graph.Node{a, b}, func(v *graph.Node, need []bool) []*graph.Node {
		grads := make([]*graph.Node, 2)
		if need[0] {
			grads[0] = matmul(v, graph.TransposeAllAxes(b, 1, 0)) // [m,n]·[k,n]ᵀ -> [m,k]
		}
		if need[1] {
			grads[1] = graph.DotGeneral(a, []int{0}, nil, v, []int{0}, nil) // [m,k]ᵀ·[m,n] -> [k,n]
		}
		return grads
	})
}

// Sizes of SimpleGo v0.26.0's DotGeneral (backends/simplego/dotgeneral*.go)
// that matmul works around: products with more than simpleGoSmallProduct output
// values per batch element go to a blocked algorithm whose blocks are
// simpleGoBlockDim wide (float32 and float64), padding a narrower right-hand
// side up to it.
const (
	simpleGoBlockDim     = 32
	simpleGoSmallProduct = 16 * 1024
)

// matmul returns a [m,k] times b [k,n]. On the pure-Go backend, when n is
// narrower than SimpleGo's block (a 16-channel convolution, the 3 input
// channels of the first layer's input gradient), the rows of a are split
// into a batch of chunks small enough for SimpleGo's unblocked algorithm,
// which then does not pad n up to the block and runs the chunks in
// parallel: 1.6x less CPU for [16384,144]x[144,16] (measured), while for
// n >= 32 the blocked algorithm is faster and is kept. Other backends get
// one plain DotGeneral.
func matmul(a, b *graph.Node) *graph.Node {
	m, k, n := a.Shape().Dimensions[0], a.Shape().Dimensions[1], b.Shape().Dimensions[1]
	plain := graph.DotGeneral(a, []int{1}, nil, b, []int{0}, nil)
	if n >= simpleGoBlockDim || m*n <= simpleGoSmallProduct || a.Graph().Backend().String() != backend.CPUName {
		return plain
	}
	rows := 0
	for r := simpleGoSmallProduct / n; r > 0; r-- {
		if m%r == 0 {
			rows = r
			break
		}
	}
	if rows < 64 {
		return plain // m has no convenient divisor: chunks would be too small to pay.
	}
	chunks := m / rows
	bb := graph.BroadcastToDims(graph.Reshape(b, 1, k, n), chunks, k, n)
	y := graph.DotGeneral(graph.Reshape(a, chunks, rows, k), []int{2}, []int{0}, bb, []int{1}, []int{0})
	return graph.Reshape(y, m, n)
}
