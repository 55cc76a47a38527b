//go:build !cgo || noxla

package backend

import "fmt"

// prepareOther refuses the XLA backend: this build has no cgo (or was built
// with the noxla tag), and the XLA backend needs cgo to load its plugin.
func prepareOther(name string) error {
	switch name {
	case "xla", "stablehlo", "hlo", "shlo", "pjrt":
		return fmt.Errorf("backend %q: this binary was built without XLA support (needs cgo and no noxla tag)", name)
	}
	return nil
}
