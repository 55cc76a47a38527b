package cpu

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
)

// Name is the name the filled backend is registered under with GoMLX
// (usable in GOMLX_BACKEND, e.g. "gofill" or "gofill:ops_sequential").
const Name = "gofill"

func init() {
	compute.Register(Name, New)
}

// New returns GoMLX's pure-Go backend (SimpleGo) with the gaps of v0.26.0
// filled and convolutions cut out of its graphs (see the package
// documentation). config is a comma-separated list of options: gofill's
// own (OptionNoConvKernels, OptionConvFallback, OptionNoFold,
// OptionNoBatchNorm, OptionNoFastKernels, OptionFastKernelMin) and
// SimpleGo's, which are
// passed to SimpleGo (e.g. "ops_parallel" or "dotgeneral_large"); "" is the
// default. "parallelism=N" also sets the number of workers of gofill's
// kernels (default: the number of CPUs).
//
// "parallelism=1" is refused: it deadlocks SimpleGo v0.26.0.
func New(config string) (compute.Backend, error) {
	b := &backend{convKernels: true, workers: runtime.NumCPU(), fastKernels: true, fastMin: DefaultFastKernelMin}
	var rest []string
	for _, opt := range strings.Split(config, ",") {
		key, value, _ := strings.Cut(opt, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case OptionNoConvKernels:
			b.convKernels = false
			continue
		case OptionConvFallback:
			b.convFallback = true
			continue
		case OptionNoFold:
			b.noFold = true
			continue
		case OptionNoBatchNorm:
			b.noBatchNorm = true
			continue
		case OptionNoFastKernels:
			b.fastKernels = false
			continue
		case OptionFastKernelMin:
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("gofill: config %q: %s=%q is not a non-negative integer", config, key, value)
			}
			b.fastMin = n
			continue
		case "parallelism":
			n, err := strconv.Atoi(value)
			if err != nil {
				return nil, fmt.Errorf("gofill: config %q: parallelism=%q is not an integer", config, value)
			}
			if n == 1 {
				return nil, fmt.Errorf("gofill: config %q: parallelism=1 deadlocks SimpleGo in GoMLX v0.26.0; use parallelism=2 or more", config)
			}
			if n > 0 {
				b.workers = n
			}
		}
		rest = append(rest, opt)
	}
	inner, err := simplego.New(strings.Join(rest, ","))
	if err != nil {
		return nil, fmt.Errorf("gofill: %w", err)
	}
	b.Backend = inner
	return b, nil
}

// Options of the gofill backend, given in its config next to SimpleGo's
// (e.g. "gofill:noconvkernels" or "go:ops_sequential,convfallback").
const (
	// OptionNoConvKernels switches the interception of ConvGeneral off:
	// convolutions run inside SimpleGo's sub-graphs, as SimpleGo's own op.
	OptionNoConvKernels = "noconvkernels"
	// OptionConvFallback keeps the interception (the graph is cut at each
	// float ConvGeneral) but runs each convolution as a one-op SimpleGo
	// executable instead of gofill's kernels.
	OptionConvFallback = "convfallback"
	// OptionNoFold switches the builder's folds off (Identity, x - x,
	// adding zero, slicing a Concatenate back into an operand; see
	// fold.go): every op is built as asked.
	OptionNoFold = "nofold"
	// OptionNoBatchNorm leaves the batch normalization ops out of the
	// capabilities, so that graph code that checks them (nas/layers)
	// builds batch normalization from plain ops.
	OptionNoBatchNorm = "nobatchnorm"
	// OptionNoFastKernels switches the interception of BroadcastInDim,
	// ReduceSum, Sign and ConvertDType from Bool off: they run inside
	// SimpleGo's sub-graphs.
	OptionNoFastKernels = "nofastkernels"
	// OptionFastKernelMin, given as "fastkernelmin=N", sets the number of
	// elements (broadcast output, other ops' input) from which these ops
	// are intercepted (default DefaultFastKernelMin).
	OptionFastKernelMin = "fastkernelmin"
)

// DefaultFastKernelMin is the default of OptionFastKernelMin.
const DefaultFastKernelMin = 4096

// backend wraps SimpleGo: everything but Builder, names and capabilities is
// delegated to the wrapped backend.
type backend struct {
	compute.Backend
	convKernels  bool // intercept float ConvGeneral as kernel steps
	convFallback bool // run kernel steps as one-op SimpleGo executables
	workers      int  // parallelism of the kernels
	noFold       bool // build every op as asked (no folds)
	noBatchNorm  bool // do not list the batch normalization ops as capabilities
	fastKernels  bool // intercept large BroadcastInDim, ReduceSum, Sign, ConvertDType
	fastMin      int  // elements from which they are intercepted
}

// Name implements backends.Backend.
func (b *backend) Name() string { return "SimpleGo with gap fills (" + Name + ")" }

// String implements backends.Backend.
func (b *backend) String() string { return Name }

// Description implements backends.Backend.
func (b *backend) Description() string {
	d := b.Backend.Description() + ", with Pad, Reverse, batch normalization and convolution defaults filled in"
	switch {
	case !b.convKernels:
	case b.convFallback:
		d += ", convolutions as separate SimpleGo steps"
	default:
		d += ", convolutions cut out of the graph"
	}
	return d
}

// Capabilities implements backends.Backend: SimpleGo's plus Pad, Reverse
// and the three batch normalization ops (unless OptionNoBatchNorm).
func (b *backend) Capabilities() compute.Capabilities {
	c := b.Backend.Capabilities().Clone()
	c.Operations[compute.OpTypePad] = true
	c.Operations[compute.OpTypeReverse] = true
	if !b.noBatchNorm {
		c.Operations[compute.OpTypeBatchNormForTraining] = true
		c.Operations[compute.OpTypeBatchNormGradient] = true
		c.Operations[compute.OpTypeBatchNormForInference] = true
	}
	return c
}

// Builder implements backends.Backend: a segmenting builder over
// SimpleGo's (see the package documentation).
func (b *backend) Builder(name string) compute.Builder {
	return &builder{be: b, name: name}
}

// Reverse implements backends.Builder: each axis is reversed by a Gather
// with the indices n-1, ..., 0.
func (b *builder) Reverse(x compute.Op, axes ...int) (compute.Op, error) {
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
func (b *builder) Pad(x, fill compute.Op, axesConfig ...compute.PadAxis) (compute.Op, error) {
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
func (b *builder) filled(fill compute.Op, shape shapes.Shape) (compute.Op, error) {
	return b.BroadcastInDim(fill, shape, nil)
}

// interior inserts k fill values between neighbouring elements of axis.
func (b *builder) interior(x, fill compute.Op, shape shapes.Shape, axis, k int) (compute.Op, shapes.Shape, error) {
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
func (b *builder) edges(x, fill compute.Op, shape shapes.Shape, axis, start, end int) (compute.Op, shapes.Shape, error) {
	var err error
	pad := func(size int) (compute.Op, error) {
		dims := slices.Clone(shape.Dimensions)
		dims[axis] = size
		return b.filled(fill, shapes.Make(shape.DType, dims...))
	}
	if start > 0 || end > 0 {
		parts := make([]compute.Op, 0, 3)
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
func (b *builder) sliceAxis(x compute.Op, rank int, dims []int, axis, lo, hi int) (compute.Op, error) {
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
func Backend(spec string) (b compute.Backend, err error) {
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
	b, err = compute.NewWithConfig(spec)
	if err != nil {
		return nil, fmt.Errorf("gofill: backend %q: %w", spec, err)
	}
	return b, nil
}

// defaultSpec is the backend spec used for "": $GOMLX_BACKEND, else "go".
func defaultSpec() string {
	if s := os.Getenv(compute.ConfigEnvVar); s != "" {
		return s
	}
	return "go"
}

// BackendName returns the name of b as recorded in results: "gofill" for the
// filled pure-Go backend, otherwise the backend's own short name followed by
// its device, e.g. "xla (cuda)".
func BackendName(b compute.Backend) string {
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
