package conv_test

import (
	"math/rand/v2"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// BenchmarkMix16Forward runs the forward GEMM convolutions of the mix16
// benchmark network (width 16, depth 10, alternating SepConv and Conv with
// kernels 3, 5, 7) at batch 64, one sub-benchmark per layer, reporting
// GFLOP/s: the inference pass's share that the GEMM carries.
func BenchmarkMix16Forward(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, g := range []geom{
		{64, 32, 32, 3, 32, 3, 1},  // stem
		{64, 32, 32, 16, 16, 5, 1}, // layer 1
		{64, 32, 32, 16, 32, 3, 2}, // layer 3 (reduction)
		{64, 16, 16, 32, 32, 7, 1}, // layer 5
		{64, 8, 8, 64, 64, 5, 1},   // layer 7
		{64, 8, 8, 64, 64, 3, 1},   // layer 9
	} {
		b.Run(g.String(), func(b *testing.B) { benchSpec(b, r, forward(g), flops(g, false)) })
	}
}

// BenchmarkMix16Separable runs the separable layers of mix16 (depthwise
// then pointwise, in one pass), and the last one of sep16, at batch 64,
// one sub-benchmark per layer, reporting GFLOP/s of the pair.
func BenchmarkMix16Separable(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, g := range []geom{
		{64, 32, 32, 32, 16, 3, 1}, // layer 0
		{64, 32, 32, 16, 16, 7, 1}, // layer 2
		{64, 16, 16, 32, 32, 5, 1}, // layer 4
		{64, 16, 16, 32, 64, 3, 2}, // layer 6 (reduction)
		{64, 8, 8, 64, 64, 7, 1},   // layer 8
		{64, 8, 8, 64, 64, 3, 1},   // sep16's last layers
	} {
		b.Run(g.String(), func(b *testing.B) {
			dw := dwForward(geom{n: g.n, h: g.h, w: g.w, ci: g.ci, co: g.ci, k: g.k, s: g.s})
			ho, wo := g.outHW()
			pw := pointwise(g.n, ho, wo, g.ci, g.co)
			x, kd, kp := randSlice[float32](r, size(dw.Input)), randSlice[float32](r, size(dw.Kernel)), randSlice[float32](r, size(pw.Kernel))
			out := make([]float32, g.n*ho*wo*g.co)
			fl := flops(geom{n: g.n, h: g.h, w: g.w, ci: g.ci, co: g.ci, k: g.k, s: g.s}, true) + 2*float64(g.n*ho*wo*g.ci*g.co)
			cpu := cpuSeconds()
			for b.Loop() {
				if err := conv.RunSeparable(dw, pw, x, kd, kp, out, nil, 0); err != nil {
					b.Fatal(err)
				}
			}
			report(b, fl, cpuSeconds()-cpu)
		})
	}
}

// BenchmarkKernelGrad runs the kernel gradients of the plain convolutions
// of mix16 (as BenchmarkMix16Forward) and of the published final network
// (width 56: its two 3x3 convolutions at 32x32) at batch 64, one
// sub-benchmark per layer, reporting GFLOP/s.
func BenchmarkKernelGrad(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, g := range []geom{
		{64, 32, 32, 16, 16, 5, 1},  // mix16 layer 1
		{64, 32, 32, 16, 32, 3, 2},  // mix16 layer 3 (reduction)
		{64, 16, 16, 32, 32, 7, 1},  // mix16 layer 5
		{64, 8, 8, 64, 64, 5, 1},    // mix16 layer 7
		{64, 8, 8, 64, 64, 3, 1},    // mix16 layer 9
		{64, 32, 32, 112, 56, 3, 1}, // final layer 0
		{64, 32, 32, 56, 56, 3, 1},  // final layer 2
	} {
		b.Run(g.String(), func(b *testing.B) { benchSpec(b, r, kernelGrad(g, true), flops(g, false)) })
	}
}

// benchSpec times conv.Run of s on random operands, reporting fl
// floating-point operations per call as GFLOP/s.
func benchSpec(b *testing.B, r *rand.Rand, s conv.Spec, fl float64) {
	x, k := randSlice[float32](r, size(s.Input)), randSlice[float32](r, size(s.Kernel))
	od, _ := s.Output()
	out := make([]float32, size(od))
	cpu := cpuSeconds()
	for b.Loop() {
		if err := conv.Run(s, x, k, out, 0); err != nil {
			b.Fatal(err)
		}
	}
	report(b, fl, cpuSeconds()-cpu)
}
