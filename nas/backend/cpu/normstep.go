package cpu

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
	"github.com/trgnas/trgnas/nas/backend/cpu/norm"
)

// normKind is one of XLA's batch normalization ops.
type normKind int

const (
	normTraining normKind = iota
	normGradient
	normInference
)

func (k normKind) String() string {
	return [...]string{"BatchNormForTraining", "BatchNormGradient", "BatchNormForInference"}[k]
}

// normStep is a batch normalization op that the backend runs itself with
// package norm (the Go backend, compute v0.1.3, has none of them).
type normStep struct {
	index  int
	kind   normKind
	ins    []*value
	outs   []*value
	layout norm.Layout
	eps    float64

	// Element-wise neighbours joined to the step (fuseNormReLU): max, the
	// Max with a scalar of a training step's normalized output, which the
	// step then computes in place of that output; mulSign, the MulSign
	// that makes a gradient step's gradOutput, which the step computes
	// from its operands a block of rows at a time.
	max, mulSign *binaryStep
}

func (n *normStep) stepIndex() int { return n.index }
func (n *normStep) setIndex(i int) { n.index = i }

// uses is the operands, with a joined MulSign's two in place of
// gradOutput.
func (n *normStep) uses() []*value {
	if n.mulSign != nil {
		return append(n.ins[:len(n.ins)-1:len(n.ins)-1], n.mulSign.x, n.mulSign.r)
	}
	return n.ins
}

// outputs is the results, with a joined Max's in place of the normalized
// operand.
func (n *normStep) outputs() []*value {
	if n.max != nil {
		return []*value{n.max.out, n.outs[1], n.outs[2]}
	}
	return n.outs
}

func (n *normStep) letter() byte              { return 'N' }
func (n *normStep) prepare(be *backend) error { return nil }
func (n *normStep) finalize()                 {}

// String describes the step for error messages.
func (n *normStep) String() string {
	return fmt.Sprintf("%s of %s, layout %+v, epsilon %g", n.kind, n.ins[0].shape, n.layout, n.eps)
}

// BatchNormForTraining implements compute.StandardOps: the normalized
// operand, the batch mean and the (biased) batch variance over every axis
// but featureAxis.
func (b *builder) BatchNormForTraining(operand, scale, offset compute.Value, epsilon float32, featureAxis int) (
	normalized, batchMean, batchVariance compute.Value, err error) {
	outs, err := b.batchNorm(normTraining, []compute.Value{operand, scale, offset}, epsilon, featureAxis)
	if err != nil {
		return nil, nil, nil, err
	}
	return outs[0], outs[1], outs[2], nil
}

// BatchNormGradient implements compute.StandardOps: the gradients of
// BatchNormForTraining's normalized output with respect to the operand,
// the scale and the offset, given the adjoint gradOutput.
func (b *builder) BatchNormGradient(operand, scale, mean, variance, gradOutput compute.Value, epsilon float32, featureAxis int) (
	gradOperand, gradScale, gradOffset compute.Value, err error) {
	outs, err := b.batchNorm(normGradient, []compute.Value{operand, scale, mean, variance, gradOutput}, epsilon, featureAxis)
	if err != nil {
		return nil, nil, nil, err
	}
	return outs[0], outs[1], outs[2], nil
}

// BatchNormForInference implements compute.StandardOps: the operand
// normalized with the given mean and variance.
func (b *builder) BatchNormForInference(operand, scale, offset, mean, variance compute.Value, epsilon float32, featureAxis int) (compute.Value, error) {
	outs, err := b.batchNorm(normInference, []compute.Value{operand, scale, offset, mean, variance}, epsilon, featureAxis)
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// batchNorm checks the operands of a batch normalization op and adds its
// step. ops[0] is the operand; ops[len-1] is gradOutput for the gradient;
// the others are per-feature vectors.
func (b *builder) batchNorm(kind normKind, ops []compute.Value, epsilon float32, featureAxis int) ([]compute.Value, error) {
	name := kind.String()
	if b.compiled {
		return nil, b.fail(name, errCompiled)
	}
	ins := make([]*value, len(ops))
	for i, op := range ops {
		v, err := b.value(op)
		if err != nil {
			return nil, b.fail(name, fmt.Errorf("operand #%d: %w", i, err))
		}
		ins[i] = v
	}
	x := ins[0].shape
	if x.DType != dtypes.Float32 && x.DType != dtypes.Float64 {
		return nil, b.fail(name, fmt.Errorf("operand %s: only float32 and float64 are supported", x))
	}
	layout, err := norm.LayoutOf(x.Dimensions, featureAxis)
	if err != nil {
		return nil, b.fail(name, err)
	}
	vec := shapes.Make(x.DType, layout.C)
	for i, v := range ins[1:] {
		want := vec
		if kind == normGradient && i == len(ins)-2 {
			want = x
		}
		if !v.shape.Equal(want) {
			return nil, b.fail(name, fmt.Errorf("operand #%d is %s, want %s for operand %s and feature axis %d",
				i+1, v.shape, want, x, featureAxis))
		}
	}
	if epsilon < 0 {
		return nil, b.fail(name, fmt.Errorf("negative epsilon %g", epsilon))
	}
	if kind == normInference {
		if v := b.fuseNorm(ins[0], ins[1:], epsilon, featureAxis); v != nil {
			return []compute.Value{v}, nil
		}
	}
	st := &normStep{kind: kind, ins: ins, layout: layout, eps: float64(epsilon)}
	outShapes := []shapes.Shape{x, vec, vec}
	if kind == normInference {
		outShapes = outShapes[:1]
	}
	outs := make([]compute.Value, len(outShapes))
	for i, s := range outShapes {
		v := b.newValue(s)
		v.step = st
		st.outs = append(st.outs, v)
		outs[i] = v
	}
	b.place(st)
	return outs, nil
}

// exec computes the outputs from the buffers of the inputs (uses(), the
// order of n.ins) into new buffers.
func (n *normStep) exec(be *backend, ins []compute.Buffer) ([]compute.Buffer, error) {
	outShapes := make([]shapes.Shape, len(n.outs))
	for i, v := range n.outs {
		outShapes[i] = v.shape
	}
	return runFlat(be, ins, outShapes, func(ins, outs []any) error {
		switch n.outs[0].shape.DType {
		case dtypes.Float32:
			return runNorm[float32](n, ins, outs, be.workers)
		case dtypes.Float64:
			return runNorm[float64](n, ins, outs, be.workers)
		}
		return fmt.Errorf("dtype %s not supported", n.outs[0].shape.DType)
	})
}

// runNorm asserts the flat slices' type and calls package norm.
func runNorm[T float32 | float64](n *normStep, ins, outs []any, workers int) error {
	in, err := typedFlats[T](ins, "input", 0)
	if err != nil {
		return err
	}
	out, err := typedFlats[T](outs, "output", 0)
	if err != nil {
		return err
	}
	switch {
	case n.kind == normTraining && n.max != nil:
		c := n.max.c.([]T)
		return norm.TrainingThen(n.layout, in[0], in[1], in[2], n.eps, out[0], out[1], out[2], workers, func(y []T) {
			_ = fast.Max(y, c, y, 1) // one worker: the caller is one of norm's
		})
	case n.kind == normTraining:
		return norm.Training(n.layout, in[0], in[1], in[2], n.eps, out[0], out[1], out[2], workers)
	case n.kind == normGradient && n.mulSign != nil:
		g, r, gx, w := in[4], in[5], out[0], n.layout.C*n.layout.Inner
		return norm.GradientFilled(n.layout, in[0], in[1], in[2], in[3], n.eps, gx, out[1], out[2], workers, func(lo, hi int) {
			_ = fast.MulSign(g[lo*w:hi*w], r[lo*w:hi*w], gx[lo*w:hi*w], 1)
		})
	case n.kind == normGradient:
		return norm.Gradient(n.layout, in[0], in[1], in[2], in[3], in[4], n.eps, out[0], out[1], out[2], workers)
	default:
		return norm.Inference(n.layout, in[0], in[1], in[2], in[3], in[4], n.eps, out[0], workers)
	}
}

// typedFlats asserts that every flat slice of fs is a []T; an error names
// the first that is not as what #(first+i).
func typedFlats[T float32 | float64](fs []any, what string, first int) ([][]T, error) {
	v := make([][]T, len(fs))
	for i, f := range fs {
		s, ok := f.([]T)
		if !ok {
			return nil, fmt.Errorf("%s #%d has flat data of type %T", what, first+i, f)
		}
		v[i] = s
	}
	return v, nil
}
