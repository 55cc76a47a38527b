package fast_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

// sameFloat reports whether a and b are the same value: the same bits, or
// both NaN (the payload of a NaN result is not specified).
func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Float64bits(a) == math.Float64bits(b)
}

// binaryInputs returns pairs of values: every pair of special values, then
// random ones (enough for the parallel path), in float64 and float32.
func binaryInputs() (l64, r64 []float64, l32, r32 []float32) {
	special := []float64{0, math.Copysign(0, -1), 1, -1, 2.5, math.Inf(1), math.Inf(-1), math.NaN(),
		math.SmallestNonzeroFloat32, -1e-40, math.MaxFloat32}
	for _, a := range special {
		for _, b := range special {
			l64, r64 = append(l64, a), append(r64, b)
		}
	}
	r := rand.New(rand.NewPCG(21, 22))
	for range 100003 {
		l64 = append(l64, r.NormFloat64())
		r64 = append(r64, r.NormFloat64())
	}
	for i := range l64 {
		l32 = append(l32, float32(l64[i]))
		r32 = append(r32, float32(r64[i]))
	}
	return
}

func TestMulMax(t *testing.T) {
	l64, r64, l32, r32 := binaryInputs()
	ops := []struct {
		name string
		f64  func(l, r, out []float64, workers int) error
		f32  func(l, r, out []float32, workers int) error
		ref  func(a, b float64) float64
	}{
		{"Mul", fast.Mul[float64], fast.Mul[float32], func(a, b float64) float64 { return a * b }},
		{"Max", fast.Max[float64], fast.Max[float32], func(a, b float64) float64 { return max(a, b) }},
	}
	for _, op := range ops {
		for _, workers := range []int{1, 3} {
			out64 := make([]float64, len(l64))
			out32 := make([]float32, len(l32))
			if err := op.f64(l64, r64, out64, workers); err != nil {
				t.Fatal(err)
			}
			if err := op.f32(l32, r32, out32, workers); err != nil {
				t.Fatal(err)
			}
			for i := range l64 {
				if want := op.ref(l64[i], r64[i]); !sameFloat(out64[i], want) {
					t.Fatalf("float64 %s(%g, %g) = %g, want %g", op.name, l64[i], r64[i], out64[i], want)
				}
				// float32 products and maxima are exact in float64, then rounded once.
				if want := float32(op.ref(float64(l32[i]), float64(r32[i]))); !sameFloat(float64(out32[i]), float64(want)) {
					t.Fatalf("float32 %s(%g, %g) = %g, want %g", op.name, l32[i], r32[i], out32[i], want)
				}
			}
			// A scalar second input, for each special value.
			for _, c := range []float64{0, math.Copysign(0, -1), -2, math.NaN(), math.Inf(1)} {
				if err := op.f32(l32, []float32{float32(c)}, out32, workers); err != nil {
					t.Fatal(err)
				}
				for i := range l32 {
					if want := float32(op.ref(float64(l32[i]), c)); !sameFloat(float64(out32[i]), float64(want)) {
						t.Fatalf("float32 %s(%g, scalar %g) = %g, want %g", op.name, l32[i], c, out32[i], want)
					}
				}
			}
		}
		if err := op.f32(l32, r32[:5], make([]float32, len(l32)), 2); err == nil {
			t.Errorf("%s with a short second input: no error", op.name)
		}
		if err := op.f32(l32, r32, make([]float32, 3), 2); err == nil {
			t.Errorf("%s with a short output: no error", op.name)
		}
	}
}

// TestMulSign: MulSign gives the bits of Mul(v, Sign(y)), every pair of
// special values included, for each parallelism.
func TestMulSign(t *testing.T) {
	l64, r64, l32, r32 := binaryInputs()
	for _, workers := range []int{1, 3} {
		out64 := make([]float64, len(l64))
		out32 := make([]float32, len(l32))
		if err := fast.MulSign(l64, r64, out64, workers); err != nil {
			t.Fatal(err)
		}
		if err := fast.MulSign(l32, r32, out32, workers); err != nil {
			t.Fatal(err)
		}
		for i := range l64 {
			if want := l64[i] * refSign(r64[i]); !sameFloat(out64[i], want) {
				t.Fatalf("float64 MulSign(%g, %g) = %g, want %g", l64[i], r64[i], out64[i], want)
			}
			if want := l32[i] * float32(refSign(float64(r32[i]))); !sameFloat(float64(out32[i]), float64(want)) {
				t.Fatalf("float32 MulSign(%g, %g) = %g, want %g", l32[i], r32[i], out32[i], want)
			}
		}
	}
	if err := fast.MulSign(l32, r32[:1], make([]float32, len(l32)), 2); err == nil {
		t.Error("MulSign with one sign for many values: no error")
	}
}

func BenchmarkMax(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	in := make([]float32, 1<<20)
	for i := range in {
		in[i] = float32(r.NormFloat64())
	}
	out := make([]float32, len(in))
	zero := []float32{0}
	b.Run("fast", func(b *testing.B) {
		for range b.N {
			_ = fast.Max(in, zero, out, 1)
		}
	})
	b.Run("builtin", func(b *testing.B) {
		for range b.N {
			for i, v := range in {
				out[i] = max(v, 0)
			}
		}
	})
}

// TestBinarySmallNoAlloc: an input too small to split (a convolution
// epilogue's block of rows) is computed without allocating.
func TestBinarySmallNoAlloc(t *testing.T) {
	x := make([]float32, 64*32)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	zero := []float32{0}
	if n := testing.AllocsPerRun(20, func() { _ = fast.Max(x, zero, x, 1) }); n != 0 {
		t.Errorf("Max of %d values: %v allocations per call, want 0", len(x), n)
	}
	for i, v := range x {
		if v < 0 {
			t.Fatalf("x[%d] = %v after max with 0", i, v)
		}
	}
}
