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
		b.Run(g.String(), func(b *testing.B) {
			s := forward(g)
			x, k := randSlice[float32](r, size(s.Input)), randSlice[float32](r, size(s.Kernel))
			od, _ := s.Output()
			out := make([]float32, size(od))
			cpu := cpuSeconds()
			for b.Loop() {
				if err := conv.Run(s, x, k, out, 0); err != nil {
					b.Fatal(err)
				}
			}
			report(b, flops(g, false), cpuSeconds()-cpu)
		})
	}
}
