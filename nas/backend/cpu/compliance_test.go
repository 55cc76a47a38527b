package cpu_test

import (
	"testing"

	"github.com/gomlx/compute/support/backendtest"
)

// TestCompliance runs upstream's compliance suite for compute backends on
// this package's backend, with every kernel step taken at any size, so
// that the suite's small tensors go through the project's kernels too.
func TestCompliance(t *testing.T) {
	backendtest.RunAll(t, newGofill(t, "fastkernelmin=0"), nil)
}
