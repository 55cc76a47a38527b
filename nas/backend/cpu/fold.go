package cpu

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// Folds: ops the builder answers with a value it already has instead of
// adding work to a segment. They remove the bookkeeping that graph-level
// custom gradients leave in a training graph (see package nas/layers:
// inputs packed by Concatenate, an Identity carrying the custom gradient,
// x - StopGradient(x) added to the result, Slice of Pad in the backward
// pass), which the Go backend would otherwise run element by element:
//
//   - Identity(x) is x.
//   - x - x is a zero value: Add of a zero value and y (same shape) is y,
//     and y - zero is y. The zero value is still built (for float x as a
//     broadcast zero that does not read x, else as the Go backend's Sub),
//     so anything else that uses it gets it computed. This treats
//     x - x as 0 also where x is infinite or NaN (IEEE gives NaN), as
//     algebraic simplifiers do.
//   - A Slice of all of x (every axis from 0 to its size, unit strides)
//     is x. The custom gradients take such slices of adjoints that
//     already have the value's size.
//   - Slice with unit strides of a Concatenate that takes exactly one of
//     its operands is that operand (Pad, built from Concatenate, is undone
//     by the Slice that crops it).
//
// The builder of a backend configured with OptionNoFold builds every op as
// asked.

// concatInfo records how a value was concatenated.
type concatInfo struct {
	axis  int
	parts []*value
}

// opFolds reports whether the folds are on.
func (b *builder) opFolds() bool { return !b.be.noFold }

// Identity implements compute.StandardOps: x itself (or the Go backend's Identity
// with OptionNoFold).
func (b *builder) Identity(x compute.Value) (compute.Value, error) {
	if b.opFolds() {
		v, err := b.value(x)
		if err != nil {
			return nil, b.fail("Identity", err)
		}
		return v, nil
	}
	return b.unary("Identity", x, compute.Function.Identity)
}

// Add implements compute.StandardOps: y + 0 and 0 + y of equal shapes are y.
func (b *builder) Add(lhs, rhs compute.Value) (compute.Value, error) {
	if b.opFolds() {
		l, r, err := b.pair("Add", lhs, rhs)
		if err != nil {
			return nil, err
		}
		if l.shape.Equal(r.shape) {
			switch {
			case r.zero:
				return l, nil
			case l.zero:
				return r, nil
			}
		}
	}
	return b.binary("Add", lhs, rhs, compute.Function.Add)
}

// Sub implements compute.StandardOps: y - 0 of equal shapes is y, and x - x is
// a zero value.
func (b *builder) Sub(lhs, rhs compute.Value) (compute.Value, error) {
	if !b.opFolds() {
		return b.binary("Sub", lhs, rhs, compute.Function.Sub)
	}
	l, r, err := b.pair("Sub", lhs, rhs)
	if err != nil {
		return nil, err
	}
	if r.zero && l.shape.Equal(r.shape) {
		return l, nil
	}
	if l == r {
		if z := b.zeros(l.shape); z != nil {
			return z, nil
		}
	}
	op, err := b.binary("Sub", lhs, rhs, compute.Function.Sub)
	if err != nil {
		return nil, err
	}
	if l == r {
		if v := op.(*value); v != l {
			v.zero = true
		}
	}
	return op, nil
}

// zeros returns a float zero value of the given shape, a scalar constant
// broadcast in the current segment, or nil for other dtypes. Unlike
// x - x it does not read x: a custom gradient's x - StopGradient(x), which
// nothing but a folded Add uses, then keeps nothing alive (the Go backend
// drops the unused broadcast), and x's step can be joined to its only
// other reader.
func (b *builder) zeros(shape shapes.Shape) *value {
	var flat any
	switch shape.DType {
	case dtypes.Float32:
		flat = []float32{0}
	case dtypes.Float64:
		flat = []float64{0}
	default:
		return nil
	}
	c, err := b.Constant(flat)
	if err != nil {
		return nil
	}
	z, err := b.BroadcastInDim(c, shape, nil)
	if err != nil {
		return nil
	}
	v := z.(*value)
	v.zero = true
	return v
}

// Concatenate implements compute.StandardOps, remembering the operands for
// Slice.
func (b *builder) Concatenate(axis int, operands ...compute.Value) (compute.Value, error) {
	s := b.segment()
	parts := make([]*value, len(operands))
	for i, op := range operands {
		v, err := b.value(op)
		if err != nil {
			return nil, b.fail("Concatenate", err)
		}
		parts[i] = v
	}
	ins, err := s.useAll(operands)
	if err != nil {
		return nil, b.fail("Concatenate", err)
	}
	r, err := s.fn.Concatenate(axis, ins...)
	if err != nil {
		return nil, b.fail("Concatenate", err)
	}
	out := s.def(r)
	if v := out.(*value); v.concat == nil && len(parts) > 1 {
		v.concat = &concatInfo{axis: axis, parts: parts}
	}
	return out, nil
}

// Slice implements compute.StandardOps: a unit-stride slice that takes one
// operand of a Concatenate whole (which undoes a Pad) is that operand.
func (b *builder) Slice(x compute.Value, starts, limits, strides []int) (compute.Value, error) {
	if b.opFolds() {
		v, err := b.value(x)
		if err != nil {
			return nil, b.fail("Slice", err)
		}
		if v.wholeSlice(starts, limits, strides) {
			return v, nil
		}
		if part := v.slicedPart(starts, limits, strides); part != nil {
			return part, nil
		}
	}
	s := b.segment()
	in, err := s.use(x)
	if err != nil {
		return nil, b.fail("Slice", err)
	}
	r, err := s.fn.Slice(in, starts, limits, strides)
	if err != nil {
		return nil, b.fail("Slice", err)
	}
	return s.def(r), nil
}

// wholeSlice reports whether the slice [starts, limits) with strides is all
// of v.
func (v *value) wholeSlice(starts, limits, strides []int) bool {
	rank := v.shape.Rank()
	if len(starts) != rank || len(limits) != rank || (len(strides) != 0 && len(strides) != rank) {
		return false
	}
	for axis := range rank {
		if starts[axis] != 0 || limits[axis] != v.shape.Dimensions[axis] {
			return false
		}
		if len(strides) != 0 && strides[axis] != 1 && v.shape.Dimensions[axis] > 1 {
			return false
		}
	}
	return true
}

// slicedPart returns the operand of the Concatenate that made v which the
// slice [starts, limits) with strides takes exactly, or nil.
func (v *value) slicedPart(starts, limits, strides []int) *value {
	rank := v.shape.Rank()
	if len(starts) != rank || len(limits) != rank || len(strides) != rank {
		return nil
	}
	for _, s := range strides {
		if s != 1 {
			return nil
		}
	}
	c := v.concat
	if c == nil {
		return nil
	}
	for axis := range rank {
		if axis != c.axis && (starts[axis] != 0 || limits[axis] != v.shape.Dimensions[axis]) {
			return nil
		}
	}
	off := 0
	for _, p := range c.parts {
		n := p.shape.Dimensions[c.axis]
		if starts[c.axis] == off && limits[c.axis] == off+n {
			return p
		}
		off += n
	}
	return nil
}

// pair resolves the operands of a binary op.
func (b *builder) pair(op string, lhs, rhs compute.Value) (l, r *value, err error) {
	if l, err = b.value(lhs); err != nil {
		return nil, nil, b.fail(op, err)
	}
	if r, err = b.value(rhs); err != nil {
		return nil, nil, b.fail(op, err)
	}
	return l, r, nil
}

// unary adds a one-operand op to the current segment.
func (b *builder) unary(op string, x compute.Value, build func(compute.Function, compute.Value) (compute.Value, error)) (compute.Value, error) {
	s := b.segment()
	in, err := s.use(x)
	if err != nil {
		return nil, b.fail(op, err)
	}
	r, err := build(s.fn, in)
	if err != nil {
		return nil, b.fail(op, err)
	}
	return s.def(r), nil
}

// binary adds a two-operand op to the current segment.
func (b *builder) binary(op string, lhs, rhs compute.Value, build func(compute.Function, compute.Value, compute.Value) (compute.Value, error)) (compute.Value, error) {
	s := b.segment()
	l, err := s.use(lhs)
	if err != nil {
		return nil, b.fail(op, err)
	}
	r, err := s.use(rhs)
	if err != nil {
		return nil, b.fail(op, err)
	}
	out, err := build(s.fn, l, r)
	if err != nil {
		return nil, b.fail(op, err)
	}
	return s.def(out), nil
}
