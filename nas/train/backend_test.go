package train_test

import (
	"os"
	"testing"

	"github.com/gomlx/compute"
	"github.com/trgnas/trgnas/nas/backend"
)

// testBackend returns the project's pure-Go backend for tests, or the one
// TRGNAS_TEST_BACKEND names (the race check runs the Go backend's ops one at a
// time: see scripts/race.sh).
func testBackend(t testing.TB) compute.Backend {
	t.Helper()
	spec := os.Getenv("TRGNAS_TEST_BACKEND")
	if spec == "" {
		spec = "go"
	}
	b, err := backend.Open(spec)
	if err != nil {
		t.Fatalf("backend: %v", err)
	}
	t.Cleanup(b.Finalize)
	return b
}
