//go:build !(goexperiment.simd && amd64)

package fast

// sign32 is Sign for float32 (plain Go; see sign_simd.go for AVX2).
func sign32(in, out []float32) { sign32Scalar(in, out) }
