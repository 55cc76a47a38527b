package conv

// Register tile on amd64: 8 rows of 16 float32. On AVX-512 it is one
// micro kernel call (eight 16-lane accumulators: two FMA units of four
// cycles' latency need eight independent sums); on AVX2 two calls of the
// 4-row kernel (eight 8-lane accumulators each, 8 of the 16 registers). 8
// rows divide the channel counts the search uses (8k), which the
// kernel-gradient GEMM takes as rows. CPUs without AVX2 and FMA run the
// same tile in plain Go (microScalar).
const (
	mr = 8
	nr = 16
)
