//go:build cgo && !noxla

package gofill_test

import (
	"os"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas/gofill"
)

// An XLA spec with a plugin that does not exist fails with an error (no
// download is attempted), and leaves go-xla's CUDA check switched off.
func TestXLASpec(t *testing.T) {
	t.Setenv("XLA_FLAGS", "")
	t.Setenv("GOPJRT_CUDA_CHECKS", "")
	os.Unsetenv("GOPJRT_CUDA_CHECKS") // t.Setenv restores the original value afterwards.
	_, err := gofill.Backend("xla:/nonexistent/pjrt_c_api_cuda_plugin.so")
	if err == nil || !strings.Contains(err.Error(), "xla") {
		t.Fatalf("error %v, want one naming xla", err)
	}
	if got := os.Getenv("GOPJRT_CUDA_CHECKS"); got != "0" {
		t.Errorf("GOPJRT_CUDA_CHECKS = %q, want \"0\"", got)
	}
	// A user's own setting is kept.
	t.Setenv("GOPJRT_CUDA_CHECKS", "1")
	_, _ = gofill.Backend("xla:/nonexistent/pjrt_c_api_cuda_plugin.so")
	if got := os.Getenv("GOPJRT_CUDA_CHECKS"); got != "1" {
		t.Errorf("GOPJRT_CUDA_CHECKS = %q, want the user's \"1\"", got)
	}
}
