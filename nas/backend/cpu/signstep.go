package cpu

import (
	"fmt"

	"github.com/gomlx/compute"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

// Sign implements compute.StandardOps. A float32 or float64 Sign of at least
// the backend's minimum number of elements becomes a kernel step run by
// fast.Sign (the Go backend's branches mispredict on the mixed signs of the ReLU
// gradient, GoMLX's Max gradient goes through Sign), unless the backend
// was configured with OptionNoFastKernels; any other runs inside the
// current segment as the Go backend's op.
func (b *builder) Sign(x compute.Value) (compute.Value, error) {
	if b.compiled {
		return nil, b.fail("Sign", errCompiled)
	}
	v, err := b.value(x)
	if err != nil {
		return nil, b.fail("Sign", err)
	}
	if b.be.fastKernels && isFloat(v.shape.DType) && v.shape.Size() >= b.be.fastMin {
		st := &signStep{oneInput: oneInput{x: v}}
		st.out = b.newValue(v.shape.Clone())
		st.out.step = st
		b.place(st)
		return st.out, nil
	}
	return b.unary("Sign", v, compute.Function.Sign)
}

// signStep is a Sign run by fast.Sign.
type signStep struct {
	oneInput
}

func (k *signStep) letter() byte { return 'G' }

// String describes the step for error messages.
func (k *signStep) String() string { return fmt.Sprintf("Sign %s", k.x.shape) }

func (k *signStep) exec(be *backend, ins []compute.Buffer) ([]compute.Buffer, error) {
	return runFast(be, ins[0], k.out.shape, func(in, out any) error {
		switch in := in.(type) {
		case []float32:
			return fast.Sign(in, out.([]float32), be.workers)
		case []float64:
			return fast.Sign(in, out.([]float64), be.workers)
		}
		return fmt.Errorf("flat data of type %T", in)
	})
}
