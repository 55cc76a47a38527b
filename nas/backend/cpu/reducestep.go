package cpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

// ReduceSum implements compute.StandardOps. No axes means every axis (as in
// the Go backend). A float32 or float64 sum over unique axes of an input of at
// least the backend's minimum number of elements becomes a kernel step run
// by package fast (see the package documentation), unless the backend was
// configured with OptionNoFastKernels; any other runs inside the
// current segment as the Go backend's op.
func (b *builder) ReduceSum(x compute.Value, axes ...int) (compute.Value, error) {
	if b.compiled {
		return nil, b.fail("ReduceSum", errCompiled)
	}
	v, err := b.value(x)
	if err != nil {
		return nil, b.fail("ReduceSum", err)
	}
	if b.be.interceptsReduce(v.shape, axes) {
		all := axes
		if len(all) == 0 {
			all = make([]int, v.shape.Rank())
			for i := range all {
				all[i] = i
			}
		}
		shape, err := shapeinference.Reduce(v.shape, all)
		if err != nil {
			return nil, b.fail("ReduceSum", fmt.Errorf("%s over axes %v: %w", v.shape, axes, err))
		}
		shape.DType = v.shape.DType
		st := &reduceStep{oneInput: oneInput{x: v}, axes: slices.Clone(all)}
		st.out = b.newValue(shape)
		st.out.step = st
		b.place(st)
		return st.out, nil
	}
	return b.unary("ReduceSum", v, func(sb compute.Function, in compute.Value) (compute.Value, error) { return sb.ReduceSum(in, axes...) })
}

// interceptsReduce reports whether a ReduceSum becomes a kernel step: axes
// out of range or repeated stay with the Go backend (and its errors).
func (be *backend) interceptsReduce(in shapes.Shape, axes []int) bool {
	if !be.fastKernels || !isFloat(in.DType) || in.Size() < be.fastMin {
		return false
	}
	seen := make([]bool, in.Rank())
	for _, a := range axes {
		if a < 0 || a >= in.Rank() || seen[a] {
			return false
		}
		seen[a] = true
	}
	return true
}

// reduceStep is a ReduceSum run by fast.ReduceSum.
type reduceStep struct {
	oneInput
	axes []int // never empty for a rank > 0 input
}

func (k *reduceStep) letter() byte { return 'R' }

// String describes the reduction for error messages.
func (k *reduceStep) String() string {
	return fmt.Sprintf("ReduceSum %s over axes %v -> %s", k.x.shape, k.axes, k.out.shape)
}

func (k *reduceStep) exec(be *backend, ins []compute.Buffer) ([]compute.Buffer, error) {
	return runFast(be, ins[0], k.out.shape, func(in, out any) error {
		switch in := in.(type) {
		case []float32:
			return fast.ReduceSum(in, k.x.shape.Dimensions, k.axes, out.([]float32), be.workers)
		case []float64:
			return fast.ReduceSum(in, k.x.shape.Dimensions, k.axes, out.([]float64), be.workers)
		}
		return fmt.Errorf("flat data of type %T", in)
	})
}
