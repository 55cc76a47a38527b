package layers_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/trgnas/trgnas/nas/layers"
)

// benchStep measures forward + backward of f on x [64,32,32,c] and a
// kernel of wDims in float32: one iteration computes the gradients of
// sum(f(x, w) * r) with respect to x and w. Compilation happens before the
// timer starts. It reports images/s and the process CPU seconds per step
// (which, unlike wall time, other load on the machine barely changes).
func benchStep(b *testing.B, be compute.Backend, f func(x, w *graph.Node) *graph.Node, c int, wDims []int) {
	const batch = 64
	rng := rand.New(rand.NewPCG(1, 2))
	rand32 := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	x := tensors.FromFlatDataAndDimensions(rand32(batch*32*32*c), batch, 32, 32, c)
	w := tensors.FromFlatDataAndDimensions(rand32(prod(wDims)), wDims...)
	exec := graph.MustNewExec(be, func(x, w *graph.Node) []*graph.Node {
		y := f(x, w)
		r := graph.Ones(x.Graph(), shapes.Make(dtypes.Float32, y.Shape().Dimensions...))
		return graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), x, w)
	})
	run := func() {
		outs, err := exec.Call(x, w)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range outs {
			o.MustFinalizeAll()
		}
	}
	run() // compile and warm up
	b.ResetTimer()
	cpu0 := processCPU()
	for range b.N {
		run()
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	}
}

// BenchmarkConv2D: forward+backward of a dense C->C convolution at
// 32x32, batch 64, float32, on the project's CPU backend.
func BenchmarkConv2D(b *testing.B) {
	be := newBackend(b)
	for _, c := range []int{16, 32} {
		for _, k := range []int{1, 3, 7} {
			b.Run(fmt.Sprintf("c%d_k%d", c, k), func(b *testing.B) {
				benchStep(b, be, func(x, w *graph.Node) *graph.Node { return layers.Conv2D(x, w, 1) }, c, []int{k, k, c, c})
			})
		}
	}
}

// BenchmarkDepthwiseConv2D: forward+backward of a depthwise convolution at
// 32x32, batch 64, float32, on the project's CPU backend.
func BenchmarkDepthwiseConv2D(b *testing.B) {
	be := newBackend(b)
	for _, c := range []int{16, 32} {
		for _, k := range []int{3, 7} {
			b.Run(fmt.Sprintf("c%d_k%d", c, k), func(b *testing.B) {
				benchStep(b, be, func(x, w *graph.Node) *graph.Node { return layers.DepthwiseConv2D(x, w, 1) }, c, []int{k, k, 1, c})
			})
		}
	}
}

// BenchmarkConvGeneral is GoMLX's own convolution (ConvGeneral and its
// gradient) on the project's CPU backend, for comparison with BenchmarkConv2D.
func BenchmarkConvGeneral(b *testing.B) {
	be := newBackend(b)
	for _, c := range []int{16} {
		for _, k := range []int{3} {
			b.Run(fmt.Sprintf("c%d_k%d", c, k), func(b *testing.B) {
				benchStep(b, be, func(x, w *graph.Node) *graph.Node {
					return graph.Convolve(x, w).StridePerAxis(1, 1).PadSame().Done()
				}, c, []int{k, k, c, c})
			})
		}
	}
}

// BenchmarkBatchNorm: forward+backward of BatchNorm in training mode at
// 32x32, batch 64, float32, on the project's CPU backend (gradients with respect
// to the input, scale and offset).
func BenchmarkBatchNorm(b *testing.B) {
	be := newBackend(b)
	for _, c := range []int{16, 32} {
		b.Run(fmt.Sprintf("c%d", c), func(b *testing.B) {
			const batch = 64
			store := model.NewStore()
			x := tensors.FromShape(shapes.Make(dtypes.Float32, batch, 32, 32, c))
			exec := model.MustNewExec(be, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
				bn := scope.In("bn")
				y := layers.BatchNorm(bn, x, true)
				g := x.Graph()
				loss := graph.ReduceAllSum(graph.Mul(y, y))
				return graph.Gradient(loss, x,
					bn.GetVariable(layers.BatchNormScale).NodeValue(g), bn.GetVariable(layers.BatchNormOffset).NodeValue(g))
			})
			run := func() {
				outs, err := exec.Call(x)
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range outs {
					o.MustFinalizeAll()
				}
			}
			run()
			b.ResetTimer()
			cpu0 := processCPU()
			for range b.N {
				run()
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			}
		})
	}
}
