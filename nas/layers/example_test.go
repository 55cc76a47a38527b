package layers_test

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/layers"
)

// A SepConv step of NetworkMix: a 5x5 depthwise convolution with stride 2,
// then a 1x1 convolution from 8 to 16 channels, on the pure-Go backend.
func Example() {
	be, err := backend.Open("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer be.Finalize()
	sepConv := func(x, depthwise, pointwise *graph.Node) *graph.Node {
		return layers.Conv2D(layers.DepthwiseConv2D(x, depthwise, 2), pointwise, 1)
	}
	y, err := graph.CallOnce(be, sepConv,
		tensors.FromShape(shapes.Make(dtypes.Float32, 4, 32, 32, 8)),
		tensors.FromShape(shapes.Make(dtypes.Float32, 5, 5, 1, 8)),
		tensors.FromShape(shapes.Make(dtypes.Float32, 1, 1, 8, 16)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape())
	// Output: (Float32)[4, 16, 16, 16]
}
