package cpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
)

// Pad implements compute.StandardOps with XLA's semantics. The Go backend's
// Pad (compute v0.1.3) panics on a negative start or end (XLA's crop: see
// TestPadNegativeUpstream), so the padding it gets is the non-negative part
// and a Slice of the result removes the rest. Delete the crop when that test
// logs that upstream takes negative padding.
func (b *builder) Pad(x, fill compute.Value, axesConfig ...compute.PadAxis) (compute.Value, error) {
	xv, err := b.value(x)
	if err != nil {
		return nil, b.fail("Pad", err)
	}
	shape := xv.shape
	fillShape, err := b.OpShape(fill)
	if err != nil {
		return nil, b.fail("Pad", err)
	}
	if !fillShape.IsScalar() || fillShape.DType != shape.DType {
		return nil, b.fail("Pad", fmt.Errorf("fill value must be a scalar of dtype %s, got %s", shape.DType, fillShape))
	}
	if len(axesConfig) > shape.Rank() {
		return nil, b.fail("Pad", fmt.Errorf("%d axes configured for shape %s of rank %d", len(axesConfig), shape, shape.Rank()))
	}
	grow := slices.Clone(axesConfig)
	crop := false
	for axis, pad := range axesConfig {
		if pad.Interior < 0 {
			return nil, b.fail("Pad", fmt.Errorf("axis %d: negative interior padding %d", axis, pad.Interior))
		}
		n := shape.Dimensions[axis]
		dilated := n
		if n > 0 {
			dilated = n + (n-1)*pad.Interior
		}
		if dilated+pad.Start+pad.End < 0 {
			return nil, b.fail("Pad", fmt.Errorf("axis %d of size %d: padding %+v leaves a negative size", axis, n, pad))
		}
		if pad.Start < 0 || pad.End < 0 {
			crop = true
			grow[axis].Start, grow[axis].End = max(pad.Start, 0), max(pad.End, 0)
		}
	}
	s := b.segment()
	in, err := s.use(x)
	if err != nil {
		return nil, b.fail("Pad", err)
	}
	f, err := s.use(fill)
	if err != nil {
		return nil, b.fail("Pad", err)
	}
	padded, err := s.fn.Pad(in, f, grow...)
	if err != nil {
		return nil, b.fail("Pad", err)
	}
	out := s.def(padded)
	if !crop {
		if v := out.(*value); b.opFolds() && v.padded == nil && v.concat == nil {
			if starts, ok := padStarts(shape.Rank(), axesConfig); ok {
				v.padded = &padInfo{x: xv, starts: starts}
			}
		}
		return out, nil
	}
	grown, err := b.OpShape(out)
	if err != nil {
		return nil, b.fail("Pad", err)
	}
	rank := grown.Rank()
	starts, limits, strides := make([]int, rank), slices.Clone(grown.Dimensions), make([]int, rank)
	for i := range strides {
		strides[i] = 1
	}
	for axis, pad := range axesConfig {
		starts[axis] = max(-pad.Start, 0)
		limits[axis] -= max(-pad.End, 0)
	}
	return b.Slice(out, starts, limits, strides)
}

// padStarts returns where the operand starts on each axis of a padding
// without interior padding or crops; ok is false for any other padding.
func padStarts(rank int, axesConfig []compute.PadAxis) (starts []int, ok bool) {
	starts = make([]int, rank)
	for axis, pad := range axesConfig {
		if pad.Interior != 0 || pad.Start < 0 || pad.End < 0 {
			return nil, false
		}
		starts[axis] = pad.Start
	}
	return starts, true
}
