package conv

import (
	"fmt"
	"testing"
)

// BenchmarkMicro runs the micro kernel on one panel of A with each of
// cogP/nr panels of B (as the GEMM does), for a few depths and widths,
// reporting GFLOP/s of the multiply-adds.
func BenchmarkMicro(b *testing.B) {
	for _, kc := range []int{56, 112, 224} {
		for _, cogP := range []int{16, 32, 48, 64, 112} {
			b.Run(fmt.Sprintf("kc%d_n%d", kc, cogP), func(b *testing.B) {
				a, bp := microOperands(kc, cogP)
				var acc [mr * nr]float32
				for b.Loop() {
					for c0 := 0; c0 < cogP; c0 += nr {
						micro(kc, a, bp[c0*kc:(c0+nr)*kc], &acc)
					}
				}
				b.ReportMetric(2*float64(mr*cogP*kc*b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// microOperands returns a panel of A (mr rows of kc values) and kc rows
// of cols values of B, small integers, for the micro kernel benchmarks.
func microOperands(kc, cols int) (a, bp []float32) {
	a, bp = make([]float32, mr*kc), make([]float32, kc*cols)
	for i := range a {
		a[i] = float32(i%7) - 3
	}
	for i := range bp {
		bp[i] = float32(i%5) - 2
	}
	return a, bp
}
