//go:build cgo && !noxla

package backend

import "github.com/gomlx/go-xla/compute/xla"

// prepareOther readies a backend other than the CPU one: for XLA (and its
// aliases) it switches plugin auto-installation off, so that nothing is
// downloaded unless the caller installs plugins on purpose (xla.AutoInstall).
func prepareOther(name string) error {
	switch name {
	case xla.BackendName, "stablehlo", "hlo", "shlo", "pjrt":
		xla.EnableAutoInstall(false)
	}
	return nil
}
