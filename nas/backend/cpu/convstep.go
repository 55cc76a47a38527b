package cpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapeinference"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// ConvGeneral implements compute.StandardOps. Nil or zero strides and
// dilations become 1 and group counts below 1 become 1 before anything else
// sees them (the Go backend fails on them). A float32 or float64 convolution
// becomes a kernel step (the current segment is closed) unless the backend
// was configured with OptionNoConvKernels; any other runs inside the
// current segment as the Go backend's op.
func (b *builder) ConvGeneral(input, kernel compute.Value, axes compute.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (compute.Value, error) {
	if b.compiled {
		return nil, b.fail("ConvGeneral", errCompiled)
	}
	n := len(axes.InputSpatial)
	strides, inputDilations, kernelDilations = ones(strides, n), ones(inputDilations, n), ones(kernelDilations, n)
	channelGroupCount, batchGroupCount = max(channelGroupCount, 1), max(batchGroupCount, 1)
	if paddings == nil {
		paddings = make([][2]int, n)
	}
	x, err := b.value(input)
	if err != nil {
		return nil, b.fail("ConvGeneral", fmt.Errorf("input: %w", err))
	}
	k, err := b.value(kernel)
	if err != nil {
		return nil, b.fail("ConvGeneral", fmt.Errorf("kernel: %w", err))
	}
	dt := x.shape.DType
	if !b.be.convKernels || (dt != dtypes.Float32 && dt != dtypes.Float64) || k.shape.DType != dt {
		s := b.segment()
		xi, err := s.use(x)
		if err != nil {
			return nil, b.fail("ConvGeneral", err)
		}
		ki, err := s.use(k)
		if err != nil {
			return nil, b.fail("ConvGeneral", err)
		}
		op, err := simpleGoConv(s.fn, xi, ki, x.shape, axes, strides, paddings, inputDilations, kernelDilations,
			channelGroupCount, batchGroupCount)
		if err != nil {
			return nil, b.fail("ConvGeneral", err)
		}
		return s.def(op), nil
	}
	shape, err := shapeinference.ConvGeneral(x.shape, k.shape, axes, strides, paddings,
		inputDilations, kernelDilations, channelGroupCount, batchGroupCount)
	if err != nil {
		return nil, b.fail("ConvGeneral", err)
	}
	st := &kernelStep{
		index: len(b.steps), x: x, k: k,
		spec: conv.Spec{
			Input: x.shape.Dimensions, Kernel: k.shape.Dimensions,
			Axes: axes.Clone(), Strides: strides, Paddings: slices.Clone(paddings),
			InputDilations: inputDilations, KernelDilations: kernelDilations,
			FeatureGroups: channelGroupCount, BatchGroups: batchGroupCount,
		},
	}
	st.out = b.newValue(shape)
	st.out.step = st
	b.steps = append(b.steps, st)
	b.cur = nil
	return st.out, nil
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

// kernelStep is a ConvGeneral that the backend runs itself between segments.
type kernelStep struct {
	index int
	x, k  *value
	out   *value
	spec  conv.Spec     // the convolution, with defaults applied
	epi   *convEpilogue // applied to the output (fuse.go), or nil
	// dw, when set, is the depthwise convolution whose output x is: the
	// step computes both (conv.RunSeparable) from dw's input and kernel
	// (fuseSeparable).
	dw *kernelStep

	// fallback runs the convolution as a one-op Go backend executable; set
	// by prepare when the project's kernels do not take the convolution.
	fallback compute.Executable
}

func (k *kernelStep) stepIndex() int { return k.index }

// uses is the input and the kernel (once when they are the same value),
// or with dw the depthwise input and kernel and the kernel, then the
// epilogue's operands.
func (k *kernelStep) uses() []*value {
	u := []*value{k.x, k.k}
	if k.dw != nil {
		u = []*value{k.dw.x, k.dw.k, k.k}
	} else if k.x == k.k {
		u = u[:1]
	}
	if k.epi != nil {
		u = append(u, k.epi.norm...)
	}
	return u
}

// String describes the convolution for error messages.
func (k *kernelStep) String() string {
	c := k.spec
	d := fmt.Sprintf("ConvGeneral input %s kernel %s -> %s, strides %v, paddings %v, dilations %v/%v, groups %d/%d",
		k.x.shape, k.k.shape, k.out.shape, c.Strides, c.Paddings, c.InputDilations, c.KernelDilations,
		c.FeatureGroups, c.BatchGroups)
	if k.dw != nil {
		d = fmt.Sprintf("depthwise ConvGeneral input %s kernel %s, then %s", k.dw.x.shape, k.dw.k.shape, d)
	}
	if k.epi != nil {
		d += ", then BatchNormForInference"
		if k.epi.max != nil {
			d += " and Max"
		}
	}
	return d
}

// prepare readies the step to run: with the project's kernels, or with a
// one-op Go backend executable.
func (k *kernelStep) prepare(be *backend) error {
	if !be.convFallback && k.kernelsTake() {
		return nil
	}
	if k.epi != nil || k.dw != nil {
		return fmt.Errorf("kernel step #%d (%s): a fused step needs the project's kernels", k.index, k)
	}
	b := be.Backend.Builder(fmt.Sprintf("conv#%d", k.index))
	fn := b.Main()
	x, err := fn.Parameter("x", k.x.shape, nil)
	if err != nil {
		return err
	}
	kernel, err := fn.Parameter("kernel", k.k.shape, nil)
	if err != nil {
		return err
	}
	c := k.spec
	out, err := simpleGoConv(fn, x, kernel, k.x.shape, c.Axes, c.Strides, c.Paddings, c.InputDilations, c.KernelDilations,
		c.FeatureGroups, c.BatchGroups)
	if err != nil {
		return fmt.Errorf("kernel step #%d (%s): %w", k.index, k, err)
	}
	if err := fn.Return([]compute.Value{out}, nil); err != nil {
		return err
	}
	k.fallback, err = b.Compile()
	return err
}

// run computes the step's output from the buffers ins of its input and its
// kernel (with dw: the depthwise input and kernel, then the kernel), then
// its epilogue's operands, which it leaves to the caller.
func (k *kernelStep) run(be *backend, ins []compute.Buffer) (compute.Buffer, error) {
	if k.fallback != nil {
		outs, err := k.fallback.Execute(ins[:2], nil, 0)
		if err != nil {
			return nil, err
		}
		return outs[0], nil
	}
	return k.runKernel(be, ins)
}

// finalize releases what prepare made.
func (k *kernelStep) finalize() {
	if k.fallback != nil {
		k.fallback.Finalize()
		k.fallback = nil
	}
}
