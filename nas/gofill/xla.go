//go:build cgo && !noxla

package gofill

import (
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/gomlx/backends/xla"
)

// prepareOther readies a backend other than the pure-Go one. For XLA (and
// its aliases) it
//   - switches off plugin auto-installation, so that nothing is downloaded
//     unless the caller installs plugins on purpose (xla.AutoInstall);
//   - unless XLA_FLAGS already names --xla_gpu_cuda_data_dir or
//     GOPJRT_CUDA_CHECKS is set, sets GOPJRT_CUDA_CHECKS=0: go-xla v0.1.4's
//     CUDA check otherwise writes a CUDA data directory that exists only on
//     its author's machine into XLA_FLAGS. Set XLA_FLAGS yourself where XLA
//     needs the directory.
func prepareOther(name string) error {
	switch name {
	case xla.BackendName, "stablehlo", "hlo", "shlo":
	default:
		return nil
	}
	xla.EnableAutoInstall(false)
	const checks = "GOPJRT_CUDA_CHECKS"
	if _, set := os.LookupEnv(checks); !set && !strings.Contains(os.Getenv("XLA_FLAGS"), "--xla_gpu_cuda_data_dir") {
		if err := os.Setenv(checks, "0"); err != nil {
			return fmt.Errorf("gofill: setting %s: %w", checks, err)
		}
	}
	return nil
}
