//go:build !(goexperiment.simd && amd64)

package conv

// Register tile of the portable build: small enough that Go's compiler
// keeps the accumulators in registers.
const (
	mr = 2
	nr = 4
)

// micro computes the mr x nr tile acc = A B over depth kc, with a holding
// mr rows of kc values and b rows of ldb values, the tile's nr columns at
// the start of each row.
func micro[T float32 | float64](kc int, a, b []T, ldb int, acc *[mr * nr]T) {
	microScalar(kc, a, b, ldb, acc)
}

// dwPoint computes one output position of a depthwise problem with one
// output channel per group (see dwPointScalar).
func dwPoint[T float32 | float64](xc, kd []T, xo, ko []int, a []T) {
	dwPointScalar(xc, kd, xo, ko, a, 0)
}

// dotAcc adds the products x[i]*y[i] into the 8 partial sums acc.
func dotAcc[T float32 | float64](acc *[8]T, x, y []T) { dotAccScalar(acc, x, y) }
