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
		{2049, 16}, {333, 17}, {1500, 24}, {500, 40}, {200, 47}, {600, 64}, {301, 67}, {70, 224},
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
				if err := training(kern, l, x, scale, offset, 1e-5, o.y, o.mean, o.variance, 2, nil); err != nil {
					t.Fatal(err)
				}
				if err := gradient(kern, l, x, scale, o.mean, o.variance, gy, 1e-5, o.gx, o.gscale, o.goffset, 2, nil); err != nil {
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

func near64(t *testing.T, what string, got, want, mag []float64, rel float64) {
	t.Helper()
	for i := range want {
		if d := math.Abs(got[i] - want[i]); !(d <= rel*mag[i]) || (rel == 0 && math.Float64bits(got[i]) != math.Float64bits(want[i])) {
			t.Fatalf("%s[%d] = %v, scalar kernels give %v (difference %.3g, bound %.3g)", what, i, got[i], want[i], d, rel*mag[i])
		}
	}
}

// TestKernelsRows calls the kernels directly on row ranges not starting
// at 0, with sums starting from nonzero values, and checks the same bits
// as the scalar kernels.
func TestKernelsRows(t *testing.T) {
	for _, tc := range []struct{ lo, hi, c int }{
		{0, 1, 1}, {0, 5, 1}, {3, 3000, 1}, {0, 7, 3}, {1, 1000, 7}, {0, 1000, 8}, {5, 777, 9},
		{0, 2049, 16}, {2, 333, 17}, {0, 1500, 24}, {0, 600, 64}, {7, 301, 67}, {0, 70, 224},
	} {
		t.Run(fmt.Sprintf("rows%d-%d_c%d", tc.lo, tc.hi, tc.c), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.hi), uint64(tc.c)))
			c, size := tc.c, tc.hi*tc.c
			x, gy := randF32(rng, size, 3), randF32(rng, size, 0)
			a, b := randF32(rng, c, 1), randF32(rng, c, 0)
			kc := randF32(rng, c, 0)
			k, m := make([]float64, c), make([]float64, c)
			for ch := range c {
				k[ch], m[ch] = float64(x[tc.lo*c+ch]), 3+0.1*rng.NormFloat64()
			}
			fast, slow := pick[float32](), scalarKernels[float32]()

			start := func() []float64 { return []float64(toF64s(randF32(rng, 4*c, 0))) }
			init := start()
			s, want := append([]float64(nil), init...), append([]float64(nil), init...)
			fast.stats(x, c, k, s[:c], s[c:2*c], tc.lo, tc.hi)
			slow.stats(x, c, k, want[:c], want[c:2*c], tc.lo, tc.hi)
			fast.gradSums(x, gy, c, m, s[2*c:3*c], s[3*c:], tc.lo, tc.hi)
			slow.gradSums(x, gy, c, m, want[2*c:3*c], want[3*c:], tc.lo, tc.hi)
			mag := make([]float64, 4*c)
			for ch := range c {
				for o := tc.lo; o < tc.hi; o++ {
					e, g := float64(x[o*c+ch]), float64(gy[o*c+ch])
					mag[ch] += math.Abs(e - k[ch])
					mag[c+ch] += (e - k[ch]) * (e - k[ch])
					mag[2*c+ch] += math.Abs(g)
					mag[3*c+ch] += math.Abs(g * (e - m[ch]))
				}
				for j := range 4 {
					mag[j*c+ch] += math.Abs(init[j*c+ch])
				}
			}
			near64(t, "stats s1", s[:c], want[:c], mag[:c], 0)
			near64(t, "stats s2", s[c:2*c], want[c:2*c], mag[c:2*c], 0)
			near64(t, "gradSums sg", s[2*c:3*c], want[2*c:3*c], mag[2*c:3*c], 0)
			near64(t, "gradSums sgx", s[3*c:], want[3*c:], mag[3*c:], 0)

			y, wy := make([]float32, size), make([]float32, size)
			fast.affine(x, y, a, b, c, tc.lo, tc.hi)
			slow.affine(x, wy, a, b, c, tc.lo, tc.hi)
			sameBits(t, "affine", y, wy)
			fast.gx(x, gy, y, a, b, kc, c, tc.lo, tc.hi)
			slow.gx(x, gy, wy, a, b, kc, c, tc.lo, tc.hi)
			sameBits(t, "gx", y, wy)
		})
	}
}

func toF64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, e := range v {
		out[i] = float64(e)
	}
	return out
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
		}{{"scalar", scalarKernels[float32]()}, {"avx2", pickFor[float32](false)}, {"pick", pick[float32]()}} {
			b.Run(fmt.Sprintf("Training/C%d/%s", c, k.name), func(b *testing.B) {
				b.SetBytes(int64(4 * 3 * l.size()))
				for b.Loop() {
					if err := training(k.kern, l, x, scale, offset, 1e-5, y, mean, variance, 1, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run(fmt.Sprintf("Gradient/C%d/%s", c, k.name), func(b *testing.B) {
				b.SetBytes(int64(4 * 5 * l.size()))
				for b.Loop() {
					if err := gradient(k.kern, l, x, scale, mean, variance, gy, 1e-5, gx, gs, gb, 1, nil); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
