package conv

import (
	"fmt"
	"unsafe"
)

// Epilogue is what RunEpilogue and RunSeparable apply to the output.
type Epilogue[T float32 | float64] struct {
	// Rows applies it to runs of whole output rows (the output channels
	// of consecutive positions), in place.
	Rows func(rows []T)
	// Scale and Shift, one per output channel, when set, say what Rows
	// computes: v*Scale[c] + Shift[c], each operation rounded on its own
	// (a product, then a sum, no fused multiply-add), then, with ReLU,
	// Go's max(v, 0). The micro kernels may then apply it to a tile of
	// sums as they store it, still in registers, instead of calling Rows
	// (inference batch normalization and the next layer's ReLU: a pass
	// over the output less). The bits must be those of Rows.
	Scale, Shift []T
	ReLU         bool
}

// check rejects coefficients that are not one per output channel.
func (e *Epilogue[T]) check(co int) error {
	if e.Rows == nil {
		return fmt.Errorf("%w: an epilogue without Rows", ErrSpec)
	}
	if e.Scale != nil || e.Shift != nil {
		if len(e.Scale) != co || len(e.Shift) != co {
			return fmt.Errorf("%w: epilogue coefficients: %d scales and %d shifts for %d output channels", ErrSpec, len(e.Scale), len(e.Shift), co)
		}
	}
	return nil
}

// tileEpi is an Epilogue's affine part as the micro kernels read it
// (micro_amd64.s): the coefficients of a tile's first column.
type tileEpi struct {
	scale, shift unsafe.Pointer
	relu         bool
}

// tileDst is where a micro kernel call leaves its tile, or its pair of
// tiles: rows ds bytes apart from d0 (and from d1, the second panel's),
// the accumulator arrays (rows of nr values) or the output itself, and
// with epi (nil: none) the epilogue applied as the tile is stored.
type tileDst struct {
	d0, d1 unsafe.Pointer
	ds     uintptr
	epi    *tileEpi
}

// second is d for the second panel alone, and that panel's epilogue
// (for s.epi to point at, when d has one: a value, so that nothing the
// kernels read leaves the caller's stack).
func (d *tileDst) second() (s tileDst, e tileEpi) {
	s = tileDst{d0: d.d1, ds: d.ds}
	if d.epi != nil {
		e = tileEpi{scale: unsafe.Add(d.epi.scale, nr*4), shift: unsafe.Add(d.epi.shift, nr*4), relu: d.epi.relu}
	}
	return s, e
}

// straightCols reports whether every tile (or pair of tiles) of cog output
// channels can be stored straight into the output: whole panels of nr
// channels, and a last panel of nr/2 only as the second of a pair (the
// kernels that compute half a panel).
func straightCols(cog int) bool { return cog%nr == 0 || cog%(2*nr) == nr+nr/2 }
