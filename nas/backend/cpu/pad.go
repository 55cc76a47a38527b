package cpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// Pad implements compute.StandardOps with XLA's semantics: per axis, first
// Interior fill values between neighbouring elements, then Start and End
// values at the edges; negative Start or End remove elements instead. It
// is built from Reshape, Concatenate, BroadcastInDim and Slice: the Go
// backend's own Pad (compute v0.1.3) panics on negative padding (see
// TestPadNegativeUpstream) and fills its whole output element by element
// before copying, a quarter of the final network's training step (see
// nas/backend/README.md). A Slice that undoes a Pad folds through the
// Concatenate.
func (b *builder) Pad(x, fill compute.Value, axesConfig ...compute.PadAxis) (compute.Value, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, err
	}
	fillShape, err := b.OpShape(fill)
	if err != nil {
		return nil, err
	}
	if !fillShape.IsScalar() || fillShape.DType != shape.DType {
		return nil, b.fail("Pad", fmt.Errorf("fill value must be a scalar of dtype %s, got %s", shape.DType, fillShape))
	}
	if len(axesConfig) > shape.Rank() {
		return nil, b.fail("Pad", fmt.Errorf("%d axes configured for shape %s of rank %d", len(axesConfig), shape, shape.Rank()))
	}
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
		if pad.Interior > 0 && n > 1 {
			x, shape, err = b.interior(x, fill, shape, axis, pad.Interior)
			if err != nil {
				return nil, err
			}
		}
		x, shape, err = b.edges(x, fill, shape, axis, pad.Start, pad.End)
		if err != nil {
			return nil, err
		}
	}
	return x, nil
}

// filled returns a tensor of the given shape holding the scalar fill.
func (b *builder) filled(fill compute.Value, shape shapes.Shape) (compute.Value, error) {
	return b.BroadcastInDim(fill, shape, nil)
}

// interior inserts k fill values between neighbouring elements of axis.
func (b *builder) interior(x, fill compute.Value, shape shapes.Shape, axis, k int) (compute.Value, shapes.Shape, error) {
	n := shape.Dimensions[axis]
	// [..., n, ...] -> [..., n, 1, ...] ++ fill [..., n, k, ...] -> [..., n*(1+k), ...] -> drop the last k.
	expanded := slices.Insert(slices.Clone(shape.Dimensions), axis+1, 1)
	x, err := b.Reshape(x, expanded...)
	if err != nil {
		return nil, shape, err
	}
	fillDims := slices.Clone(expanded)
	fillDims[axis+1] = k
	f, err := b.filled(fill, shapes.Make(shape.DType, fillDims...))
	if err != nil {
		return nil, shape, err
	}
	x, err = b.Concatenate(axis+1, x, f)
	if err != nil {
		return nil, shape, err
	}
	merged := slices.Clone(shape.Dimensions)
	merged[axis] = n * (1 + k)
	x, err = b.Reshape(x, merged...)
	if err != nil {
		return nil, shape, err
	}
	out := shape.Clone()
	out.Dimensions[axis] = n + (n-1)*k
	x, err = b.sliceAxis(x, shape.Rank(), merged, axis, 0, out.Dimensions[axis])
	return x, out, err
}

// edges adds start and end fill elements to axis; a negative start or end
// removes elements instead (from the padded result, as XLA does).
func (b *builder) edges(x, fill compute.Value, shape shapes.Shape, axis, start, end int) (compute.Value, shapes.Shape, error) {
	var err error
	pad := func(size int) (compute.Value, error) {
		dims := slices.Clone(shape.Dimensions)
		dims[axis] = size
		return b.filled(fill, shapes.Make(shape.DType, dims...))
	}
	if start > 0 || end > 0 {
		parts := make([]compute.Value, 0, 3)
		if start > 0 {
			f, err := pad(start)
			if err != nil {
				return nil, shape, err
			}
			parts = append(parts, f)
		}
		if shape.Dimensions[axis] > 0 {
			parts = append(parts, x)
		}
		if end > 0 {
			f, err := pad(end)
			if err != nil {
				return nil, shape, err
			}
			parts = append(parts, f)
		}
		x = parts[0]
		if len(parts) > 1 {
			x, err = b.Concatenate(axis, parts...)
			if err != nil {
				return nil, shape, err
			}
		}
		shape = shape.Clone()
		shape.Dimensions[axis] += max(start, 0) + max(end, 0)
	}
	if start < 0 || end < 0 {
		n := shape.Dimensions[axis]
		lo, hi := max(-start, 0), n-max(-end, 0)
		x, err = b.sliceAxis(x, shape.Rank(), shape.Dimensions, axis, lo, hi)
		if err != nil {
			return nil, shape, err
		}
		shape = shape.Clone()
		shape.Dimensions[axis] = hi - lo
	}
	return x, shape, nil
}

// sliceAxis slices [lo, hi) of one axis, keeping the others whole.
func (b *builder) sliceAxis(x compute.Value, rank int, dims []int, axis, lo, hi int) (compute.Value, error) {
	starts := make([]int, rank)
	limits := slices.Clone(dims)
	strides := make([]int, rank)
	for i := range strides {
		strides[i] = 1
	}
	starts[axis], limits[axis] = lo, hi
	return b.Slice(x, starts, limits, strides)
}
