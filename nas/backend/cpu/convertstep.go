package cpu

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

// ConvertDType implements compute.StandardOps. A conversion of a Bool tensor
// of at least the backend's minimum number of elements to float32 or
// float64 becomes a kernel step run by fast.FromBool (the Go backend branches per
// value and mispredicts on masks such as the ReLU's x > 0), unless the
// backend was configured with OptionNoFastKernels; any other runs inside
// the current segment as the Go backend's op.
func (b *builder) ConvertDType(x compute.Value, dtype dtypes.DType) (compute.Value, error) {
	if b.compiled {
		return nil, b.fail("ConvertDType", errCompiled)
	}
	v, err := b.value(x)
	if err != nil {
		return nil, b.fail("ConvertDType", err)
	}
	if b.be.fastKernels && v.shape.DType == dtypes.Bool && isFloat(dtype) && v.shape.Size() >= b.be.fastMin {
		st := &fromBoolStep{oneInput: oneInput{x: v}}
		shape := v.shape.Clone()
		shape.DType = dtype
		st.out = b.newValue(shape)
		st.out.step = st
		b.place(st)
		return st.out, nil
	}
	return b.unary("ConvertDType", v, func(sb compute.Function, in compute.Value) (compute.Value, error) { return sb.ConvertDType(in, dtype) })
}

// fromBoolStep is a ConvertDType from Bool to a float run by fast.FromBool.
type fromBoolStep struct {
	oneInput
}

func (k *fromBoolStep) letter() byte { return 'C' }

// String describes the step for error messages.
func (k *fromBoolStep) String() string {
	return fmt.Sprintf("ConvertDType %s -> %s", k.x.shape, k.out.shape.DType)
}

func (k *fromBoolStep) exec(be *backend, ins []compute.Buffer) ([]compute.Buffer, error) {
	return runFast(be, ins[0], k.out.shape, func(in, out any) error {
		mask, ok := in.([]bool)
		if !ok {
			return fmt.Errorf("flat data of type %T", in)
		}
		switch out := out.(type) {
		case []float32:
			return fast.FromBool(mask, out, be.workers)
		case []float64:
			return fast.FromBool(mask, out, be.workers)
		}
		return fmt.Errorf("output flat data of type %T", out)
	})
}
