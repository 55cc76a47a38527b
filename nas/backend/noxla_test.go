//go:build !cgo || noxla

package backend_test

import (
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas/backend"
)

// Without XLA compiled in, XLA specs fail with a clear error.
func TestXLASpecWithoutXLA(t *testing.T) {
	_, err := backend.Open("xla:cuda")
	if err == nil || !strings.Contains(err.Error(), "without XLA support") {
		t.Fatalf("error %v, want one saying XLA is not built in", err)
	}
}
