package cpu

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

// Mul implements compute.StandardOps; see fastBinary.
func (b *builder) Mul(lhs, rhs compute.Value) (compute.Value, error) {
	return b.fastBinary("Mul", lhs, rhs, compute.Function.Mul)
}

// Max implements compute.StandardOps; see fastBinary.
func (b *builder) Max(lhs, rhs compute.Value) (compute.Value, error) {
	return b.fastBinary("Max", lhs, rhs, compute.Function.Max)
}

// fastBinary builds Mul or Max. Float32 or float64 operands of the same
// shape, or one of them a scalar (a one-element Constant is taken as a
// value, so the step does not depend on the segment that holds it), with
// at least the backend's minimum number of output elements, become a
// kernel step run by fast.Mul or fast.Max on all workers (the Go backend runs
// each element-wise op on one core; the ReLU's Max and its gradient's
// product are the largest left), unless the backend was configured with
// OptionNoFastKernels. A Mul of a value and the output of a Sign step
// becomes one MulSign step that reads the Sign's input instead. A Max of
// a convolution step's output that has batch normalization in its
// epilogue and a scalar constant joins that epilogue (fuse.go). Anything
// else runs inside the current segment as the Go backend's op.
func (b *builder) fastBinary(op string, lhs, rhs compute.Value, build func(compute.Function, compute.Value, compute.Value) (compute.Value, error)) (compute.Value, error) {
	if b.compiled {
		return nil, b.fail(op, errCompiled)
	}
	l, r, err := b.pair(op, lhs, rhs)
	if err != nil {
		return nil, err
	}
	if l.shape.Rank() == 0 && r.shape.Rank() != 0 {
		l, r = r, l // Both ops commute; the scalar goes second.
	}
	if op == "Max" {
		if v := b.fuseMax(l, r); v != nil {
			return v, nil
		}
	}
	if b.be.fastKernels && isFloat(l.shape.DType) && l.shape.DType == r.shape.DType &&
		(r.shape.Equal(l.shape) || r.shape.Rank() == 0) && l.shape.Size() >= b.be.fastMin {
		if v, y := mulOfSign(op, l, r); v != nil {
			// v * Sign(y) in one pass; the Sign step is left to whatever
			// else uses it (none: the plan drops it).
			op, l, r = "MulSign", v, y
		}
		st := &binaryStep{oneInput: oneInput{x: l}, op: op, r: r, c: r.scalar}
		st.out = b.newValue(l.shape.Clone())
		st.out.step = st
		b.place(st)
		return st.out, nil
	}
	return b.binary(op, l, r, build)
}

// mulOfSign returns v and y when op is a Mul of a value v and the output
// of a Sign step of y (the ReLU's gradient), or nils.
func mulOfSign(op string, l, r *value) (v, y *value) {
	if op != "Mul" || l == r || !l.shape.Equal(r.shape) {
		return nil, nil
	}
	if sg, ok := r.step.(*signStep); ok {
		return l, sg.x
	}
	if sg, ok := l.step.(*signStep); ok {
		return r, sg.x
	}
	return nil, nil
}

// binaryStep is a Mul, Max or MulSign (x * Sign(r)) run by package fast.
type binaryStep struct {
	oneInput        // x is the first operand
	op       string // "Mul", "Max" or "MulSign"
	r        *value // x's shape, or a scalar
	c        any    // r's flat data when r is a one-element Constant
	joined   bool   // computed by a batch normalization step (fuseNormReLU)
}

// outputs is none once the step is joined to a batch normalization step,
// which then computes its result, so that the plan drops it.
func (k *binaryStep) outputs() []*value {
	if k.joined {
		return nil
	}
	return k.oneInput.outputs()
}

func (k *binaryStep) letter() byte { return 'E' }

// uses is x and r, or x alone when r is a constant (then the step does not
// depend on the segment that holds it) or x itself.
func (k *binaryStep) uses() []*value {
	if k.x == k.r || k.c != nil {
		return []*value{k.x}
	}
	return []*value{k.x, k.r}
}

// String describes the step for error messages.
func (k *binaryStep) String() string {
	return fmt.Sprintf("%s %s, %s", k.op, k.x.shape, k.r.shape)
}

// exec computes the op from the buffers of uses(): the second operand is
// the constant, or the last buffer (the first when x is both operands).
func (k *binaryStep) exec(be *backend, ins []compute.Buffer) ([]compute.Buffer, error) {
	return runFlat(be, ins, []shapes.Shape{k.out.shape}, func(in, outs []any) error {
		rhs := k.c
		if rhs == nil {
			rhs = in[len(in)-1]
		}
		switch l := in[0].(type) {
		case []float32:
			return binaryFlat(k.op, l, rhs.([]float32), outs[0].([]float32), be.workers)
		case []float64:
			return binaryFlat(k.op, l, rhs.([]float64), outs[0].([]float64), be.workers)
		}
		return fmt.Errorf("flat data of type %T", in[0])
	})
}

// binaryFlat runs op on flat data.
func binaryFlat[T fast.Float](op string, l, r, out []T, workers int) error {
	switch op {
	case "Max":
		return fast.Max(l, r, out, workers)
	case "MulSign":
		return fast.MulSign(l, r, out, workers)
	}
	return fast.Mul(l, r, out, workers)
}
