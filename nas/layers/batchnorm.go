package layers

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/initializer"
)

// PyTorch's BatchNorm2d defaults.
const (
	// BatchNormMomentum is the weight of the new batch statistics in the
	// running statistics: running = (1-m)*running + m*batch.
	BatchNormMomentum = 0.1
	// BatchNormEpsilon is added to the variance before the square root.
	BatchNormEpsilon = 1e-5
)

// Names of the BatchNorm variables in the scope it is given.
const (
	BatchNormScale       = "scale"        // trainable, initialised to 1
	BatchNormOffset      = "offset"       // trainable, initialised to 0
	BatchNormRunningMean = "running_mean" // not trainable, initialised to 0
	BatchNormRunningVar  = "running_var"  // not trainable, initialised to 1
)

// BatchNorm normalises x [N,H,W,C] per channel over N, H and W, as PyTorch's
// BatchNorm2d does (momentum 0.1, eps 1e-5, affine):
//
//   - training: uses the batch mean and biased variance, with the gradient
//     flowing through them, and updates the running statistics in the graph
//     (Variable.SetNodeValue, so a model.Exec carries the update out):
//     running_mean += 0.1*(mean - running_mean), and running_var likewise
//     with the unbiased variance (times n/(n-1), n = N*H*W).
//   - inference: uses the running statistics.
//
// The variables are created in the given scope (give each BatchNorm its
// own scope): "scale" and "offset", trainable, shaped [C]; "running_mean"
// and "running_var", not trainable. Training needs more than one value per
// channel (n > 1), as in PyTorch; a violation panics, as graph-building
// functions do in GoMLX.
//
// Where the backend has XLA's batch normalization ops (XLA itself, and
// nas/backend/cpu) they compute it: BatchNormForTraining, whose gradient is
// BatchNormGradient, and BatchNormForInference. Elsewhere it is built from
// reductions, broadcasts and element-wise ops.
func BatchNorm(scope *model.Scope, x *graph.Node, training bool) *graph.Node {
	if x.Rank() != 4 {
		panic(fmt.Errorf("layers.BatchNorm: input must be [N,H,W,C], got %s", x.Shape()))
	}
	g := x.Graph()
	dtype := x.DType()
	d := x.Shape().Dimensions
	c := d[3]
	varShape := shapes.Make(dtype, c)
	scale := scope.WithInitializer(initializer.One).VariableWithShape(BatchNormScale, varShape).SetTrainable(true)
	offset := scope.WithInitializer(initializer.Zero).VariableWithShape(BatchNormOffset, varShape).SetTrainable(true)
	runMean := scope.WithInitializer(initializer.Zero).VariableWithShape(BatchNormRunningMean, varShape).SetTrainable(false)
	runVar := scope.WithInitializer(initializer.One).VariableWithShape(BatchNormRunningVar, varShape).SetTrainable(false)

	ops := g.Backend().Capabilities().Operations
	if training {
		n := d[0] * d[1] * d[2]
		if n < 2 {
			panic(fmt.Errorf("layers.BatchNorm: training needs more than 1 value per channel, got input %s", x.Shape()))
		}
		var y, mean, variance *graph.Node
		if ops[compute.OpTypeBatchNormForTraining] && ops[compute.OpTypeBatchNormGradient] {
			y, mean, variance = graph.InternalBatchNormForTraining(x, scale.NodeValue(g), offset.NodeValue(g), BatchNormEpsilon, 3)
		} else {
			y, mean, variance = batchNormPlain(x, scale.NodeValue(g), offset.NodeValue(g))
		}
		momentum := graph.Scalar(g, dtype, BatchNormMomentum)
		keep := graph.Scalar(g, dtype, 1-BatchNormMomentum)
		unbiased := graph.MulScalar(graph.StopGradient(variance), float64(n)/float64(n-1))
		runMean.SetNodeValue(graph.Add(graph.Mul(keep, runMean.NodeValue(g)), graph.Mul(momentum, graph.StopGradient(mean))))
		runVar.SetNodeValue(graph.Add(graph.Mul(keep, runVar.NodeValue(g)), graph.Mul(momentum, unbiased)))
		return y
	}
	if ops[compute.OpTypeBatchNormForInference] {
		return graph.InternalBatchNormForInference(x, scale.NodeValue(g), offset.NodeValue(g),
			runMean.NodeValue(g), runVar.NodeValue(g), BatchNormEpsilon, 3)
	}
	centered := graph.Sub(x, broadcastChannels(runMean.NodeValue(g), d))
	return normalize(centered, runVar.NodeValue(g), scale.NodeValue(g), offset.NodeValue(g))
}

// batchNormPlain is batch normalization in training mode made of plain
// ops, for backends without BatchNormForTraining: the normalized x, the
// batch mean and the biased batch variance, with gradients through all.
func batchNormPlain(x, scale, offset *graph.Node) (y, mean, variance *graph.Node) {
	d := x.Shape().Dimensions
	mean = graph.ReduceMean(x, 0, 1, 2)
	centered := graph.Sub(x, broadcastChannels(mean, d))
	variance = graph.ReduceMean(graph.Square(centered), 0, 1, 2)
	return normalize(centered, variance, scale, offset), mean, variance
}

// normalize returns centered / sqrt(variance + eps) * scale + offset.
//
// 1/Sqrt rather than Rsqrt: GoMLX (v0.26 and v0.28) has no gradient for Rsqrt.
// Per-channel values are broadcast explicitly: the Go backend (measured on
// v0.26.0's SimpleGo) runs equal-shape element-wise ops much faster than
// implicitly broadcast ones, and the gradient of an explicit broadcast is a
// plain reduction.
func normalize(centered, variance, scale, offset *graph.Node) *graph.Node {
	d := centered.Shape().Dimensions
	inv := graph.Div(scale, graph.Sqrt(graph.AddScalar(variance, BatchNormEpsilon))) // [C]
	y := graph.Mul(centered, broadcastChannels(inv, d))
	return graph.Add(y, broadcastChannels(offset, d))
}

// broadcastChannels broadcasts v [C] to dims [N,H,W,C].
func broadcastChannels(v *graph.Node, dims []int) *graph.Node {
	return graph.BroadcastToDims(graph.Reshape(v, 1, 1, 1, dims[3]), dims...)
}
