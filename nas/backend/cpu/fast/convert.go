package fast

import (
	"fmt"
	"math"
)

// FromBool writes into out 1 where in is true and 0 where it is false: the
// ConvertDType of a bool tensor to float32 or float64. It has no branches
// on the data (the Go backend's per-value branch mispredicts on masks such as
// x > 0 of activations). Large inputs are split between up to workers
// goroutines.
func FromBool[T Float](in []bool, out []T, workers int) error {
	if len(in) != len(out) {
		return fmt.Errorf("ConvertDType from Bool: %d input and %d output values", len(in), len(out))
	}
	parts := 1
	if len(in) >= parallelMin {
		parts = max(1, workers)
	}
	split(parts, func(p int) {
		lo, hi := bounds(len(in), parts, p)
		switch out := any(out[lo:hi]).(type) {
		case []float32:
			fromBool32(in[lo:hi], out)
		case []float64:
			fromBool64(in[lo:hi], out)
		}
	})
	return nil
}

// b2u is 1 for true and 0 for false; the compiler makes it a zero-extended
// load of the bool's byte, without a branch.
func b2u(v bool) uint64 {
	var x uint64
	if v {
		x = 1
	}
	return x
}

// fromBool32 masks the bits of 1.0 with 0 - b2u(v) (all ones or zero).
func fromBool32(in []bool, out []float32) {
	out = out[:len(in)]
	for i, v := range in {
		out[i] = math.Float32frombits(uint32(-b2u(v)) & math.Float32bits(1))
	}
}

// fromBool64 is fromBool32 for float64.
func fromBool64(in []bool, out []float64) {
	out = out[:len(in)]
	for i, v := range in {
		out[i] = math.Float64frombits(-b2u(v) & math.Float64bits(1))
	}
}
