//go:build !amd64

package conv

// Register tile elsewhere: small enough that Go's compiler keeps the
// accumulators of microScalar in registers.
const (
	mr = 2
	nr = 4
)
