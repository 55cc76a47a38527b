//go:build !(goexperiment.simd && amd64)

package norm

// pick returns the row kernels for T: plain Go in this build (see
// kernels_simd.go for AVX2).
func pick[T float32 | float64]() kernels[T] { return scalarKernels[T]() }
