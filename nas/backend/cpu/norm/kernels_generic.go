//go:build !(goexperiment.simd && amd64)

package norm

// pick returns the row kernels for T: plain Go in this build (see
// kernels_simd.go for AVX2 and AVX-512).
func pick[T float32 | float64]() kernels[T] { return scalarKernels[T]() }

// pickFor is pick: this build has no vector kernels to choose from.
func pickFor[T float32 | float64](bool) kernels[T] { return scalarKernels[T]() }
