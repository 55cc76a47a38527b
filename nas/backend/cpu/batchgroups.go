package cpu

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// simpleGoConv adds a ConvGeneral to a Go backend function. The Go backend
// gets BatchGroupCount > 1 wrong (compute v0.1.3 indexes out of range;
// GoMLX v0.26.0 picked the input batch group of output feature o as o /
// batchGroupCount instead of o / (features per group)), so
// a batch-grouped convolution is rewritten as the channel-grouped one it
// equals: the input batch B is split into G groups of B/G, the group axis
// moved next to the channels ([B/G, G*C, spatial...]), and G becomes the
// ChannelGroupCount (XLA allows only one of the two counts above 1). Delete
// the rewrite when the Go backend's batch groups follow XLA (see
// TestBatchGroupsSimpleGo).
func simpleGoConv(b compute.Function, x, kernel compute.Value, xShape shapes.Shape, axes compute.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (compute.Value, error) {
	g := batchGroupCount
	dims := xShape.Dimensions
	if g <= 1 || channelGroupCount > 1 || dims[axes.InputBatch]%g != 0 {
		// Nothing to rewrite, or invalid: the Go backend reports it.
		return b.ConvGeneral(x, kernel, axes, strides, paddings, inputDilations, kernelDilations,
			channelGroupCount, batchGroupCount)
	}
	batch, channels := dims[axes.InputBatch], dims[axes.InputChannels]
	perm := append([]int{axes.InputBatch, axes.InputChannels}, axes.InputSpatial...)
	xt, err := b.Transpose(x, perm...)
	if err != nil {
		return nil, fmt.Errorf("batch groups: %w", err)
	}
	spatial := make([]int, len(axes.InputSpatial))
	for i, a := range axes.InputSpatial {
		spatial[i] = dims[a]
	}
	split := append([]int{g, batch / g, channels}, spatial...)
	if xt, err = b.Reshape(xt, split...); err != nil {
		return nil, fmt.Errorf("batch groups: %w", err)
	}
	swap := make([]int, len(split))
	for i := range swap {
		swap[i] = i
	}
	swap[0], swap[1] = 1, 0
	if xt, err = b.Transpose(xt, swap...); err != nil {
		return nil, fmt.Errorf("batch groups: %w", err)
	}
	if xt, err = b.Reshape(xt, append([]int{batch / g, g * channels}, spatial...)...); err != nil {
		return nil, fmt.Errorf("batch groups: %w", err)
	}
	grouped := axes.Clone()
	grouped.InputBatch, grouped.InputChannels = 0, 1
	for i := range grouped.InputSpatial {
		grouped.InputSpatial[i] = 2 + i
	}
	return b.ConvGeneral(xt, kernel, grouped, strides, paddings, inputDilations, kernelDilations, g, 1)
}
