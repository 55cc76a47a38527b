package norm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func randF32(rng *rand.Rand, n int, shift float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(shift + rng.NormFloat64())
	}
	return v
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %v, scalar kernels give %v", what, i, got[i], want[i])
		}
	}
}

// TestKernelsMatchScalar checks that the kernels pick chooses (vector ones
// in a GOEXPERIMENT=simd build on AVX2) give the same bits as the scalar
// ones, for C below, at and above multiples of 8 and Outer not a multiple
// of the block's rows. The kernels add and multiply without fusing, as
// the scalar loops compile without FMA (GOAMD64 below v3).
func TestKernelsMatchScalar(t *testing.T) {
	for _, tc := range []struct{ outer, c int }{
		{1, 1}, {5, 1}, {3000, 1}, {7, 3}, {1000, 7}, {1000, 8}, {777, 9},
		{2049, 16}, {333, 17}, {1500, 24}, {600, 64}, {301, 67}, {70, 224},
	} {
		t.Run(fmt.Sprintf("outer%d_c%d", tc.outer, tc.c), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.outer), uint64(tc.c)))
			l := Layout{Outer: tc.outer, C: tc.c, Inner: 1}
			x, gy := randF32(rng, l.size(), 3), randF32(rng, l.size(), 0)
			scale, offset := randF32(rng, l.C, 1), randF32(rng, l.C, 0)
			type out struct{ y, mean, variance, gx, gscale, goffset []float32 }
			run := func(kern kernels[float32]) out {
				o := out{y: make([]float32, l.size()), mean: make([]float32, l.C), variance: make([]float32, l.C),
					gx: make([]float32, l.size()), gscale: make([]float32, l.C), goffset: make([]float32, l.C)}
				if err := training(kern, l, x, scale, offset, 1e-5, o.y, o.mean, o.variance, 2); err != nil {
					t.Fatal(err)
				}
				if err := gradient(kern, l, x, scale, o.mean, o.variance, gy, 1e-5, o.gx, o.gscale, o.goffset, 2); err != nil {
					t.Fatal(err)
				}
				return o
			}
			got, want := run(pick[float32]()), run(scalarKernels[float32]())
			sameBits(t, "y", got.y, want.y)
			sameBits(t, "mean", got.mean, want.mean)
			sameBits(t, "variance", got.variance, want.variance)
			sameBits(t, "gx", got.gx, want.gx)
			sameBits(t, "gscale", got.gscale, want.gscale)
			sameBits(t, "goffset", got.goffset, want.goffset)
		})
	}
}

// BenchmarkNHWC times Training and Gradient of float32 NHWC operands with
// the scalar kernels and with those pick chooses, one worker; bytes are
// those each call reads and writes (x and y; x, gy and gx), read once per
// pass.
func BenchmarkNHWC(b *testing.B) {
	for _, c := range []int{16, 64} {
		l := Layout{Outer: 65536, C: c, Inner: 1}
		rng := rand.New(rand.NewPCG(1, uint64(c)))
		x, gy := randF32(rng, l.size(), 3), randF32(rng, l.size(), 0)
		scale, offset := randF32(rng, l.C, 1), randF32(rng, l.C, 0)
		y, gx := make([]float32, l.size()), make([]float32, l.size())
		mean, variance, gs, gb := make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)
		for _, k := range []struct {
			name string
			kern kernels[float32]
		}{{"scalar", scalarKernels[float32]()}, {"pick", pick[float32]()}} {
			b.Run(fmt.Sprintf("Training/C%d/%s", c, k.name), func(b *testing.B) {
				b.SetBytes(int64(4 * 3 * l.size()))
				for b.Loop() {
					if err := training(k.kern, l, x, scale, offset, 1e-5, y, mean, variance, 1); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("Gradient/C%d/%s", c, k.name), func(b *testing.B) {
				b.SetBytes(int64(4 * 5 * l.size()))
				for b.Loop() {
					if err := gradient(k.kern, l, x, scale, mean, variance, gy, 1e-5, gx, gs, gb, 1); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
