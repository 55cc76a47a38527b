package fast_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

// refSign is the Go backend's Sign: comparisons, so NaN and -0 give 0.
func refSign(v float64) float64 {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}

func TestSign(t *testing.T) {
	special := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(), -math.NaN(),
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64,
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32, 1e-40, -1e-40}
	r := rand.New(rand.NewPCG(11, 12))
	in64 := append([]float64{}, special...)
	for range 100000 { // large enough for the parallel path
		in64 = append(in64, r.NormFloat64()*math.Pow(10, float64(r.IntN(80)-40)))
	}
	in32 := make([]float32, len(in64))
	for i, v := range in64 {
		in32[i] = float32(v)
	}
	out64 := make([]float64, len(in64))
	out32 := make([]float32, len(in32))
	if err := fast.Sign(in64, out64, 2); err != nil {
		t.Fatal(err)
	}
	if err := fast.Sign(in32, out32, 3); err != nil {
		t.Fatal(err)
	}
	for i := range in64 {
		if want := refSign(in64[i]); math.Float64bits(out64[i]) != math.Float64bits(want) {
			t.Fatalf("float64 Sign(%g) = %g, want %g", in64[i], out64[i], want)
		}
		if want := float32(refSign(float64(in32[i]))); math.Float32bits(out32[i]) != math.Float32bits(want) {
			t.Fatalf("float32 Sign(%g) = %g, want %g", in32[i], out32[i], want)
		}
	}
	if err := fast.Sign(in32, out32[:3], 2); err == nil {
		t.Error("Sign with a short output: no error")
	}
}

func BenchmarkSign(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	in := make([]float32, 1<<20)
	for i := range in {
		in[i] = float32(r.NormFloat64())
	}
	out := make([]float32, len(in))
	b.Run("fast", func(b *testing.B) {
		for range b.N {
			_ = fast.Sign(in, out, 1)
		}
	})
	b.Run("branches", func(b *testing.B) {
		for range b.N {
			for i, v := range in {
				switch {
				case v < 0:
					out[i] = -1
				case v > 0:
					out[i] = 1
				default:
					out[i] = 0
				}
			}
		}
	})
}

func BenchmarkSignCopyCalibration(b *testing.B) {
	in := make([]float32, 1<<20)
	out := make([]float32, len(in))
	for range b.N {
		copy(out, in)
	}
}
