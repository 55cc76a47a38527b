package layers

import "github.com/gomlx/gomlx/core/graph"

// ReLU returns max(x, 0), with gradient v where x > 0 and 0 elsewhere (0 at
// x = 0 too, as PyTorch's ReLU).
//
// The forward pass is one Max with a scalar zero. The gradient is v times
// Sign(max(x, 0)), a 0/1 mask: the result is y + (p - p) with y = max(x, 0)
// and p = x * mask, both y and the mask marked as taking no gradient, so
// the only gradient is that of p, v * mask, while p - p is zero (the
// backend folds it away, and with it p). GoMLX's own gradient of
// graph.Max(x, 0) (v0.26 and v0.28) builds a difference, two Signs, an
// addition, a complement and a product for each side, each the size of x;
// a custom gradient (withGradient) would pack a copy of x.
func ReLU(x *graph.Node) *graph.Node {
	y := graph.Max(x, graph.ScalarZero(x.Graph(), x.DType()))
	if x.StopGradient() {
		return y
	}
	p := graph.Mul(x, graph.StopGradient(graph.Sign(y)))
	return graph.Add(graph.StopGradient(y), graph.Sub(p, graph.StopGradient(p)))
}
