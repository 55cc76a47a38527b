package conv

// Register tile on amd64: 4 rows of two 8-lane float32 vectors, the tile
// of the assembly micro kernel (micro_amd64.s; 8 of the 16 AVX2 registers
// hold accumulators, and a 6-row tile measured no faster). CPUs without
// AVX2 and FMA run the same tile in plain Go (microScalar).
const (
	mr = 4
	nr = 16
)
