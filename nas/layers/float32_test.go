package layers_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/trgnas/trgnas/nas/layers"
)

func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// TestFloat32 runs a SepConv-like block (depthwise, pointwise, BatchNorm in
// training mode) with its gradients in float32 and compares with float64.
func TestFloat32(t *testing.T) {
	b := newBackend(t)
	rng := rand.New(rand.NewPCG(11, 12))
	const n, h, c, cout, k = 2, 6, 3, 4, 5
	x, dw, pw := randn(rng, n*h*h*c), randn(rng, k*k*c), randn(rng, c*cout)
	fn := func(scope *model.Scope, x, dw, pw *graph.Node) []*graph.Node {
		y := layers.Conv2D(layers.DepthwiseConv2D(x, dw, 2), pw, 1)
		y = layers.BatchNorm(scope.In("bn"), y, true)
		loss := graph.ReduceAllSum(graph.Mul(y, graph.Sin(y)))
		return append([]*graph.Node{y}, graph.Gradient(loss, x, dw, pw)...)
	}
	outs64, err := model.CallOnceN(b, model.NewStore(), fn,
		tensors.FromFlatDataAndDimensions(x, n, h, h, c),
		tensors.FromFlatDataAndDimensions(dw, k, k, 1, c),
		tensors.FromFlatDataAndDimensions(pw, 1, 1, c, cout))
	if err != nil {
		t.Fatal(err)
	}
	outs32, err := model.CallOnceN(b, model.NewStore(), fn,
		tensors.FromFlatDataAndDimensions(toFloat32(x), n, h, h, c),
		tensors.FromFlatDataAndDimensions(toFloat32(dw), k, k, 1, c),
		tensors.FromFlatDataAndDimensions(toFloat32(pw), 1, 1, c, cout))
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"y", "dx", "ddepthwise", "dpointwise"} {
		want := tensors.MustCopyFlatData[float64](outs64[i])
		got := tensors.MustCopyFlatData[float32](outs32[i])
		if len(got) != len(want) {
			t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
		}
		for j := range got {
			if !closeTo(float64(got[j]), want[j], 1e-4) {
				t.Fatalf("%s[%d]: float32 %g, float64 %g", name, j, got[j], want[j])
			}
		}
		if name == "y" && fmt.Sprint(outs32[i].Shape().Dimensions) != fmt.Sprint([]int{n, 3, 3, cout}) {
			t.Errorf("y shape %v", outs32[i].Shape().Dimensions)
		}
	}
}
