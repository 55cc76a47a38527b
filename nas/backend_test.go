package nas_test

import (
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/trgnas/trgnas/nas/gofill"
)

// testBackend returns the project's pure-Go backend for tests.
func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	b, err := gofill.Backend("go")
	if err != nil {
		t.Fatalf("backend: %v", err)
	}
	t.Cleanup(b.Finalize)
	return b
}
