package cpu

import (
	"fmt"
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

// BroadcastInDim implements compute.StandardOps. A float32 or float64
// broadcast of more than one value with strictly increasing axes and at
// least the backend's minimum number of output elements becomes a kernel
// step run by package
// fast (see the package documentation), unless the backend was configured
// with OptionNoFastKernels; any other runs inside the current segment
// as the Go backend's op.
func (b *builder) BroadcastInDim(x compute.Value, outputShape shapes.Shape, broadcastAxes []int) (compute.Value, error) {
	if b.compiled {
		return nil, b.fail("BroadcastInDim", errCompiled)
	}
	v, err := b.value(x)
	if err != nil {
		return nil, b.fail("BroadcastInDim", err)
	}
	if b.be.interceptsBroadcast(v.shape, outputShape, broadcastAxes) {
		if err := shapeinference.BroadcastInDim(v.shape, outputShape, broadcastAxes, nil); err != nil {
			return nil, b.fail("BroadcastInDim", fmt.Errorf("%s -> %s, axes %v: %w", v.shape, outputShape, broadcastAxes, err))
		}
		st := &bcastStep{oneInput: oneInput{x: v}, axes: slices.Clone(broadcastAxes)}
		st.out = b.newValue(outputShape.Clone())
		st.out.step = st
		b.place(st)
		return st.out, nil
	}
	return b.unary("BroadcastInDim", v, func(sb compute.Function, in compute.Value) (compute.Value, error) {
		return sb.BroadcastInDim(in, outputShape, broadcastAxes)
	})
}

// interceptsBroadcast reports whether a BroadcastInDim becomes a kernel step.
func (be *backend) interceptsBroadcast(in, out shapes.Shape, axes []int) bool {
	if !be.fastKernels || !isFloat(in.DType) || out.DType != in.DType || out.Size() < be.fastMin {
		return false
	}
	if in.Size() == 1 {
		// The Go backend fills from a single value without its iterator, and
		// such values (constants, scalar statistics) are mostly made in
		// the open segment: a step would only cut it.
		return false
	}
	for i := 1; i < len(axes); i++ {
		if axes[i] <= axes[i-1] {
			return false
		}
	}
	return true
}

// isFloat reports whether package fast takes the dtype.
func isFloat(dt dtypes.DType) bool { return dt == dtypes.Float32 || dt == dtypes.Float64 }

// bcastStep is a BroadcastInDim run by fast.Broadcast.
type bcastStep struct {
	oneInput
	axes []int
}

func (k *bcastStep) letter() byte { return 'B' }

// String describes the broadcast for error messages.
func (k *bcastStep) String() string {
	return fmt.Sprintf("BroadcastInDim %s -> %s, axes %v", k.x.shape, k.out.shape, k.axes)
}

func (k *bcastStep) exec(be *backend, ins []compute.Buffer) ([]compute.Buffer, error) {
	return runFast(be, ins[0], k.out.shape, func(in, out any) error {
		switch in := in.(type) {
		case []float32:
			return fast.Broadcast(in, k.x.shape.Dimensions, k.axes, out.([]float32), k.out.shape.Dimensions, be.workers)
		case []float64:
			return fast.Broadcast(in, k.x.shape.Dimensions, k.axes, out.([]float64), k.out.shape.Dimensions, be.workers)
		}
		return fmt.Errorf("flat data of type %T", in)
	})
}

// runFast calls run with the flat data of in and of a new Go backend buffer
// of the given shape, which it returns (or releases on error).
func runFast(be *backend, in compute.Buffer, shape shapes.Shape, run func(in, out any) error) ([]compute.Buffer, error) {
	return runFlat(be, []compute.Buffer{in}, []shapes.Shape{shape}, func(ins, outs []any) error {
		return run(ins[0], outs[0])
	})
}
