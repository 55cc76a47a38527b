package fast

import "fmt"

// Mul writes lhs[i] * rhs[i] into out. rhs holds either len(lhs) values or
// one, used for every i (a scalar). Large inputs are split between up to
// workers goroutines; each value is one IEEE product, so the result does
// not depend on them.
func Mul[T Float](lhs, rhs, out []T, workers int) error {
	return binary("Mul", lhs, rhs, out, workers, mul32, mulScalar[float64])
}

// Max writes max(lhs[i], rhs[i]) into out with the semantics of Go's max
// (and the Go backend's Max): NaN if either value is NaN, +0 for the pair
// -0, +0. rhs holds either len(lhs) values or one (a scalar). Large inputs
// are split between up to workers goroutines; the loops have no branches
// on the data (the ReLU's max(x, 0) sees mixed signs).
func Max[T Float](lhs, rhs, out []T, workers int) error {
	return binary("Max", lhs, rhs, out, workers, max32, maxScalar[float64])
}

// MulSign writes v[i] * Sign(y[i]) into out (Sign as in package Sign: 0
// for zeros and NaN): the same products as Mul(v, Sign(y)) in one pass,
// without the Sign tensor (the ReLU's gradient). y has len(v) values.
func MulSign[T Float](v, y, out []T, workers int) error {
	if len(y) != len(v) {
		return fmt.Errorf("MulSign: %d values and %d signs", len(v), len(y))
	}
	return binary("MulSign", v, y, out, workers, mulSign32, mulSignScalar64)
}

// mulSignScalar64 is MulSign on a float64 part.
func mulSignScalar64(v, y, out []float64) {
	out = out[:len(v)]
	y = y[:len(v)]
	for i, x := range v {
		out[i] = x * signOf64(y[i])
	}
}

// mulSignScalar32 is MulSign on a float32 part in plain Go.
func mulSignScalar32(v, y, out []float32) {
	out = out[:len(v)]
	y = y[:len(v)]
	for i, x := range v {
		out[i] = x * signOf32(y[i])
	}
}

// binary checks the lengths and runs f32 or f64 over parts of the values.
func binary[T Float](name string, lhs, rhs, out []T, workers int, f32 func(lhs, rhs, out []float32), f64 func(lhs, rhs, out []float64)) error {
	if len(lhs) != len(out) || (len(rhs) != len(out) && len(rhs) != 1) {
		return fmt.Errorf("%s: %d and %d input values for %d output values (the second input may also be one value)", name, len(lhs), len(rhs), len(out))
	}
	parts := 1
	if len(out) >= parallelMin {
		parts = max(1, workers)
	}
	if parts == 1 {
		// Inline, without a closure to allocate: a convolution's epilogue
		// calls this on every block of rows.
		binaryPart(lhs, rhs, out, 0, len(out), f32, f64)
		return nil
	}
	split(parts, func(p int) {
		lo, hi := bounds(len(out), parts, p)
		binaryPart(lhs, rhs, out, lo, hi, f32, f64)
	})
	return nil
}

// binaryPart runs f32 or f64 on values [lo, hi).
func binaryPart[T Float](lhs, rhs, out []T, lo, hi int, f32 func(lhs, rhs, out []float32), f64 func(lhs, rhs, out []float64)) {
	r := rhs
	if len(rhs) != 1 || len(out) == 1 {
		r = rhs[lo:hi]
	}
	switch l := any(lhs[lo:hi]).(type) {
	case []float32:
		f32(l, any(r).([]float32), any(out[lo:hi]).([]float32))
	case []float64:
		f64(l, any(r).([]float64), any(out[lo:hi]).([]float64))
	}
}

// mulScalar is Mul on one part: rhs has len(lhs) values or one.
func mulScalar[T Float](lhs, rhs, out []T) {
	out = out[:len(lhs)]
	if len(rhs) == 1 && len(lhs) != 1 {
		c := rhs[0]
		for i, x := range lhs {
			out[i] = x * c
		}
		return
	}
	rhs = rhs[:len(lhs)]
	for i, x := range lhs {
		out[i] = x * rhs[i]
	}
}

// maxScalar is Max on one part: rhs has len(lhs) values or one.
func maxScalar[T Float](lhs, rhs, out []T) {
	out = out[:len(lhs)]
	if len(rhs) == 1 && len(lhs) != 1 {
		c := rhs[0]
		for i, x := range lhs {
			out[i] = max(x, c)
		}
		return
	}
	rhs = rhs[:len(lhs)]
	for i, x := range lhs {
		out[i] = max(x, rhs[i])
	}
}
