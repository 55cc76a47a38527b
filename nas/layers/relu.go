package layers

import "github.com/gomlx/gomlx/core/graph"

// ReLU returns max(x, 0), with gradient v where x > 0 and 0 elsewhere (0 at
// x = 0 too, as PyTorch's ReLU).
//
// The forward pass is one Max with a scalar zero; the gradient is v times
// Sign(max(x, 0)), a 0/1 mask (a custom gradient). GoMLX's own gradient
// of graph.Max(x, 0) (v0.26 and v0.28) builds a difference, two Signs, an
// addition, a complement and a product for each side, each the size of x.
func ReLU(x *graph.Node) *graph.Node {
	y := graph.Max(x, graph.ScalarZero(x.Graph(), x.DType()))
	return withGradient(y, []*graph.Node{x}, func(v *graph.Node, need []bool) []*graph.Node {
		return []*graph.Node{graph.Mul(v, graph.Sign(y))}
	})
}
