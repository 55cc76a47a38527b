//go:build !(goexperiment.simd && amd64)

package fast

// mul32 and max32 are Mul and Max on float32 parts (plain Go; see
// binary_simd.go for AVX2).
func mul32(lhs, rhs, out []float32) { mulScalar(lhs, rhs, out) }
func max32(lhs, rhs, out []float32) { maxScalar(lhs, rhs, out) }

// mulSign32 is MulSign on a float32 part (plain Go).
func mulSign32(v, y, out []float32) { mulSignScalar32(v, y, out) }
