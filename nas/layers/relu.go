package layers

import "github.com/gomlx/gomlx/pkg/core/graph"

// ReLU returns max(x, 0), with gradient v where x > 0 and 0 elsewhere (0 at
// x = 0 too, as PyTorch's ReLU).
//
// It is x times a 0/1 mask of x > 0 that the gradient does not flow
// through, so the backward pass is one multiplication by the mask. GoMLX
// v0.26.0's gradient of graph.Max(x, 0) instead builds a difference, two
// Signs, an addition, a complement and a product for each side, each the
// size of x.
func ReLU(x *graph.Node) *graph.Node {
	mask := graph.StopGradient(graph.ConvertDType(graph.GreaterThan(x, graph.ScalarZero(x.Graph(), x.DType())), x.DType()))
	return graph.Mul(x, mask)
}
