package fast

import (
	"fmt"
	"math"
)

// Sign writes into out the sign of each value of in, as the Go backend
// does: -1 for negative values, 1 for positive ones (infinities included),
// 0 for zeros of either sign and for NaN. It has no branches on the data
// (the Go backend's per-value branches mispredict on the mixed signs of
// activations). Large inputs are split between up to workers goroutines.
func Sign[T Float](in, out []T, workers int) error {
	if len(in) != len(out) {
		return fmt.Errorf("Sign: %d input and %d output values", len(in), len(out))
	}
	parts := 1
	if len(in) >= parallelMin {
		parts = max(1, workers)
	}
	split(parts, func(p int) {
		lo, hi := bounds(len(in), parts, p)
		switch in := any(in[lo:hi]).(type) {
		case []float32:
			sign32(in, any(out[lo:hi]).([]float32))
		case []float64:
			sign64(in, any(out[lo:hi]).([]float64))
		}
	})
	return nil
}

// sign32Scalar is Sign on float32 bits (see signOf32).
func sign32Scalar(in, out []float32) {
	out = out[:len(in)]
	for i, v := range in {
		out[i] = signOf32(v)
	}
}

// signOf32 is the sign of v without branches: 1.0 with v's sign bit,
// masked to zero unless 0 < |v| <= +Inf.
func signOf32(v float32) float32 {
	b := math.Float32bits(v)
	abs := int64(b & 0x7fffffff)
	mask := (-abs >> 63) & ((abs - 0x7f800001) >> 63) // all ones when 0 < abs <= Inf
	return math.Float32frombits((0x3f800000 | b&0x80000000) & uint32(mask))
}

// sign64 is sign32 for float64.
func sign64(in, out []float64) {
	out = out[:len(in)]
	for i, v := range in {
		out[i] = signOf64(v)
	}
}

// signOf64 is signOf32 for float64.
func signOf64(v float64) float64 {
	b := math.Float64bits(v)
	abs := b & 0x7fffffffffffffff
	// abs < 2^63: the differences below do not overflow as int64.
	mask := (-int64(abs) >> 63) & ((int64(abs) - 0x7ff0000000000001) >> 63)
	return math.Float64frombits((0x3ff0000000000000 | b&0x8000000000000000) & uint64(mask))
}
