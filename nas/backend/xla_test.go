//go:build cgo && !noxla

package backend_test

import (
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas/backend"
)

// An XLA spec with a plugin that does not exist fails with an error: no
// download is attempted.
func TestXLASpec(t *testing.T) {
	_, err := backend.Open("xla:/nonexistent/pjrt_c_api_cuda_plugin.so")
	if err == nil || !strings.Contains(err.Error(), "xla") {
		t.Fatalf("error %v, want one naming xla", err)
	}
}
