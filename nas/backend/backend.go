// Package backend is the project's one way to get a compute backend: Open
// turns a spec ("go", "xla:cuda", ...) into a compute.Backend and Name
// gives the name results record. The project's CPU backend and its kernels
// live under it (package nas/backend/cpu and its subpackages).
package backend

import (
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/compute"

	"github.com/trgnas/trgnas/nas/backend/cpu"
)

// Open returns the backend a spec names. The spec:
//
//   - "": the value of $GOMLX_BACKEND, or "go" when that is empty.
//   - "go", "go:<cfg>", "gofill" or "gofill:<cfg>": the project's CPU
//     backend (upstream's Go backend with the project's kernels).
//   - anything else, e.g. "xla:cuda", "xla:cpu" or
//     "xla:/abs/path/pjrt_c_api_cuda_plugin.so": compute.NewWithConfig.
//     Plugin auto-installation (a download) is switched off first: install
//     plugins beforehand, or name the plugin file by absolute path, or put
//     it where go-xla searches (PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla,
//     /usr/local/lib/go-xla).
func Open(spec string) (b compute.Backend, err error) {
	if spec == "" {
		spec = defaultSpec()
	}
	name, cfg, _ := strings.Cut(spec, ":")
	switch name {
	case "go", CPUName:
		return cpu.New(cfg)
	}
	if err := prepareOther(name); err != nil {
		return nil, err
	}
	// compute.NewWithConfig panics on unknown names: turn that into an error.
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backend %q: %v", spec, r)
		}
	}()
	b, err = compute.NewWithConfig(spec)
	if err != nil {
		return nil, fmt.Errorf("backend %q: %w", spec, err)
	}
	return b, nil
}

// CPUName is the name the project's CPU backend is registered and recorded
// under ("gofill", the name results have carried since the first ledgers).
const CPUName = cpu.Name

// defaultSpec is the backend spec used for "": $GOMLX_BACKEND, else "go".
func defaultSpec() string {
	if s := os.Getenv(compute.ConfigEnvVar); s != "" {
		return s
	}
	return "go"
}

// Name returns the name of b as recorded in results: CPUName for the
// project's CPU backend, otherwise the backend's own short name followed by
// its device, e.g. "xla (cuda)".
func Name(b compute.Backend) string {
	if b == nil {
		return ""
	}
	name := b.String()
	if name == CPUName {
		return name
	}
	if b.NumDevices() > 0 {
		if d := b.DeviceDescription(0); d != "" {
			name += " (" + d + ")"
		}
	}
	return name
}
