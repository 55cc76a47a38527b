package layers_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/trgnas/trgnas/nas/gofill"
	"github.com/trgnas/trgnas/nas/layers"
)

// A SepConv step of NetworkMix: a 5x5 depthwise convolution with stride 2,
// then a 1x1 convolution from 8 to 16 channels, on the pure-Go backend.
func Example() {
	backend, err := gofill.Backend("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer backend.Finalize()
	sepConv := func(x, depthwise, pointwise *graph.Node) *graph.Node {
		return layers.Conv2D(layers.DepthwiseConv2D(x, depthwise, 2), pointwise, 1)
	}
	y, err := graph.ExecOnce(backend, sepConv,
		tensors.FromShape(shapes.Make(dtypes.Float32, 4, 32, 32, 8)),
		tensors.FromShape(shapes.Make(dtypes.Float32, 5, 5, 1, 8)),
		tensors.FromShape(shapes.Make(dtypes.Float32, 1, 1, 8, 16)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(y.Shape())
	// Output: (Float32)[4 16 16 16]
}
