//go:build cgo && !noxla

package gofill

import "github.com/gomlx/gomlx/backends/xla"

// prepareOther readies a backend other than the pure-Go one: for XLA (and
// its aliases) it switches off plugin auto-installation, so that nothing is
// downloaded unless the caller installs plugins on purpose (xla.AutoInstall).
func prepareOther(name string) error {
	switch name {
	case xla.BackendName, "stablehlo", "hlo", "shlo":
		xla.EnableAutoInstall(false)
	}
	return nil
}
