package gofill

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Name is the name the filled backend is registered under with GoMLX
// (usable in GOMLX_BACKEND, e.g. "gofill" or "gofill:ops_sequential").
const Name = "gofill"

func init() {
	backends.Register(Name, New)
}

// New returns GoMLX's pure-Go backend (SimpleGo) with the gaps of v0.26.0
// filled (see the package documentation). config is passed to SimpleGo
// unchanged (e.g. "ops_parallel" or "dotgeneral_large"); "" is its default.
//
// "parallelism=1" is refused: it deadlocks SimpleGo v0.26.0.
func New(config string) (backends.Backend, error) {
	for _, opt := range strings.Split(config, ",") {
		if key, value, _ := strings.Cut(opt, "="); strings.TrimSpace(key) == "parallelism" && strings.TrimSpace(value) == "1" {
			return nil, fmt.Errorf("gofill: config %q: parallelism=1 deadlocks SimpleGo in GoMLX v0.26.0; use parallelism=2 or more", config)
		}
	}
	inner, err := simplego.New(config)
	if err != nil {
		return nil, fmt.Errorf("gofill: %w", err)
	}
	return &backend{Backend: inner}, nil
}

// backend wraps SimpleGo: everything but Builder, names and capabilities is
// delegated to the wrapped backend.
type backend struct {
	backends.Backend
}

// Name implements backends.Backend.
func (b *backend) Name() string { return "SimpleGo with gap fills (" + Name + ")" }

// String implements backends.Backend.
func (b *backend) String() string { return Name }

// Description implements backends.Backend.
func (b *backend) Description() string {
	return b.Backend.Description() + ", with Pad, Reverse and convolution defaults filled in"
}

// Capabilities implements backends.Backend: SimpleGo's plus Pad and Reverse.
func (b *backend) Capabilities() backends.Capabilities {
	c := b.Backend.Capabilities().Clone()
	c.Operations[backends.OpTypePad] = true
	c.Operations[backends.OpTypeReverse] = true
	return c
}

// Builder implements backends.Backend.
func (b *backend) Builder(name string) backends.Builder {
	return &builder{Builder: b.Backend.Builder(name)}
}

// builder delegates to SimpleGo's builder and adds the missing ops, built
// from ops SimpleGo has.
type builder struct {
	backends.Builder
}

// ConvGeneral implements backends.Builder: nil or zero strides and dilations
// become 1 before SimpleGo sees them.
func (b *builder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (backends.Op, error) {
	n := len(axes.InputSpatial)
	return b.Builder.ConvGeneral(input, kernel, axes, ones(strides, n), paddings,
		ones(inputDilations, n), ones(kernelDilations, n),
		max(channelGroupCount, 1), max(batchGroupCount, 1))
}

// ones returns v with missing or non-positive entries set to 1, length n.
func ones(v []int, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = 1
		if i < len(v) && v[i] > 0 {
			out[i] = v[i]
		}
	}
	return out
}

// Reverse implements backends.Builder: each axis is reversed by a Gather
// with the indices n-1, ..., 0.
func (b *builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, err
	}
	rank := shape.Rank()
	seen := make([]bool, rank)
	for _, axis := range axes {
		if axis < 0 || axis >= rank {
			return nil, fmt.Errorf("gofill: Reverse: axis %d out of range for shape %s", axis, shape)
		}
		if seen[axis] {
			continue
		}
		seen[axis] = true
		n := shape.Dimensions[axis]
		if n <= 1 {
			continue
		}
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(n - 1 - i)
		}
		indices, err := b.Constant(idx, n, 1)
		if err != nil {
			return nil, err
		}
		offsetAxes := make([]int, 0, rank-1)
		sizes := slices.Clone(shape.Dimensions)
		sizes[axis] = 1
		for i := range rank {
			if i != axis {
				offsetAxes = append(offsetAxes, i)
			}
		}
		x, err = b.Gather(x, indices, 1, offsetAxes, []int{axis}, []int{axis}, sizes, false)
		if err != nil {
			return nil, fmt.Errorf("gofill: Reverse axis %d of %s: %w", axis, shape, err)
		}
	}
	return x, nil
}

// Pad implements backends.Builder with XLA's semantics: per axis, first
// Interior fill values between neighbouring elements, then Start and End
// values at the edges; negative Start or End remove elements instead.
func (b *builder) Pad(x, fill backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, err
	}
	fillShape, err := b.OpShape(fill)
	if err != nil {
		return nil, err
	}
	if !fillShape.IsScalar() || fillShape.DType != shape.DType {
		return nil, fmt.Errorf("gofill: Pad: fill value must be a scalar of dtype %s, got %s", shape.DType, fillShape)
	}
	if len(axesConfig) > shape.Rank() {
		return nil, fmt.Errorf("gofill: Pad: %d axes configured for shape %s of rank %d", len(axesConfig), shape, shape.Rank())
	}
	for axis, pad := range axesConfig {
		if pad.Interior < 0 {
			return nil, fmt.Errorf("gofill: Pad: axis %d: negative interior padding %d", axis, pad.Interior)
		}
		n := shape.Dimensions[axis]
		dilated := n
		if n > 0 {
			dilated = n + (n-1)*pad.Interior
		}
		if dilated+pad.Start+pad.End < 0 {
			return nil, fmt.Errorf("gofill: Pad: axis %d of size %d: padding %+v leaves a negative size", axis, n, pad)
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
func (b *builder) filled(fill backends.Op, shape shapes.Shape) (backends.Op, error) {
	return b.BroadcastInDim(fill, shape, nil)
}

// interior inserts k fill values between neighbouring elements of axis.
func (b *builder) interior(x, fill backends.Op, shape shapes.Shape, axis, k int) (backends.Op, shapes.Shape, error) {
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
func (b *builder) edges(x, fill backends.Op, shape shapes.Shape, axis, start, end int) (backends.Op, shapes.Shape, error) {
	var err error
	pad := func(size int) (backends.Op, error) {
		dims := slices.Clone(shape.Dimensions)
		dims[axis] = size
		return b.filled(fill, shapes.Make(shape.DType, dims...))
	}
	if start > 0 || end > 0 {
		parts := make([]backends.Op, 0, 3)
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
func (b *builder) sliceAxis(x backends.Op, rank int, dims []int, axis, lo, hi int) (backends.Op, error) {
	starts := make([]int, rank)
	limits := slices.Clone(dims)
	strides := make([]int, rank)
	for i := range strides {
		strides[i] = 1
	}
	starts[axis], limits[axis] = lo, hi
	return b.Slice(x, starts, limits, strides)
}

// Backend returns the backend a spec names; it is the project's single way to
// get one. The spec:
//
//   - "": the value of $GOMLX_BACKEND, or "go" when that is empty.
//   - "go", "go:<cfg>", "gofill" or "gofill:<cfg>": GoMLX's pure-Go backend
//     with the gap fills of this package (<cfg> goes to SimpleGo).
//   - anything else, e.g. "xla:cuda", "xla:cpu" or "xla:/abs/path/pjrt_c_api_cuda_plugin.so":
//     GoMLX's backends.NewWithConfig. Plugin auto-installation (a
//     download) is switched off first: install plugins beforehand, or point
//     the spec at the plugin file (see the package documentation).
func Backend(spec string) (b backends.Backend, err error) {
	if spec == "" {
		spec = defaultSpec()
	}
	name, cfg, _ := strings.Cut(spec, ":")
	switch name {
	case "go", Name:
		return New(cfg)
	}
	if err := prepareOther(name); err != nil {
		return nil, err
	}
	// backends.NewWithConfig panics on unknown names: turn that into an error.
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("gofill: backend %q: %v", spec, r)
		}
	}()
	b, err = backends.NewWithConfig(spec)
	if err != nil {
		return nil, fmt.Errorf("gofill: backend %q: %w", spec, err)
	}
	return b, nil
}

// defaultSpec is the backend spec used for "": $GOMLX_BACKEND, else "go".
func defaultSpec() string {
	if s := os.Getenv(backends.ConfigEnvVar); s != "" {
		return s
	}
	return "go"
}

// BackendName returns the name of b as recorded in results: "gofill" for the
// filled pure-Go backend, otherwise the backend's own short name followed by
// its device, e.g. "xla (cuda)".
func BackendName(b backends.Backend) string {
	if b == nil {
		return ""
	}
	if _, ok := b.(*backend); ok {
		return Name
	}
	name := b.String()
	if b.NumDevices() > 0 {
		if d := b.DeviceDescription(0); d != "" {
			name += " (" + d + ")"
		}
	}
	return name
}
