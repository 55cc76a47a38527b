//go:build !(goexperiment.simd && amd64)

package fast

// sumRows adds the rows of x, each of len(out) values, into out, each
// output element summing its column in row order (plain Go; see
// sum_simd.go for AVX2).
func sumRows[T Float](out, x []T) { sumRowsScalar(out, x) }
