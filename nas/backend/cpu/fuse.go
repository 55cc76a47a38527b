package cpu

import (
	"math"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
	"github.com/trgnas/trgnas/nas/backend/cpu/norm"
)

// convEpilogue is what a convolution step applies to its output rows as
// the GEMM completes them (conv.RunEpilogue): batch normalization for
// inference with the operands norm (scale, offset, mean, variance) and
// epsilon eps, then, when max is set, the maximum with that one-element
// constant (the ReLU of the next layer). In an inference graph this
// replaces two passes over the output in memory (BatchNormForInference
// and Max) by work on rows still in cache, with the same bits: the same
// coefficients and arithmetic as package norm, and fast.Max.
type convEpilogue struct {
	norm []*value
	eps  float64
	max  any // []float32 or []float64 of one value, or nil
}

// fuseNorm returns a convolution step that computes
// BatchNormForInference(x, ops...) in its epilogue, when x is the output
// of a convolution step without one that the project's kernels run, with
// the output channels last and the feature axis on them; otherwise nil.
// The plain convolution step stays in the plan for any other use of its
// output (none in an inference graph: Compile drops it).
func (b *builder) fuseNorm(x *value, ops []*value, eps float32, featureAxis int) *value {
	ks, ok := x.step.(*kernelStep)
	last := x.shape.Rank() - 1
	if !ok || b.be.noFuse || b.be.convFallback || ks.epi != nil || featureAxis != last ||
		ks.spec.Axes.OutputChannels != last || !ks.kernelsTake() {
		return nil
	}
	return b.placeFused(ks, &convEpilogue{norm: ops, eps: float64(eps)})
}

// fuseMax returns a convolution step that also takes the maximum with
// the one-element constant c after its batch normalization epilogue, when
// x is the output of such a step without a maximum; otherwise nil.
func (b *builder) fuseMax(x, c *value) *value {
	ks, ok := x.step.(*kernelStep)
	if !ok || b.be.noFuse || ks.epi == nil || ks.epi.max != nil || c.scalar == nil || c.shape.Rank() != 0 ||
		c.shape.DType != x.shape.DType {
		return nil
	}
	e := *ks.epi
	e.max = c.scalar
	return b.placeFused(ks, &e)
}

// placeFused adds a copy of the convolution step ks with the epilogue e.
func (b *builder) placeFused(ks *kernelStep, e *convEpilogue) *value {
	st := &kernelStep{x: ks.x, k: ks.k, spec: ks.spec, epi: e}
	st.out = b.newValue(ks.out.shape.Clone())
	st.out.step = st
	b.place(st)
	return st.out
}

// epilogueFunc returns the epilogue that conv.RunEpilogue applies to
// the output rows for e, given e's operands (the batch normalization
// ones) as flat slices. Its coefficients go with it, for the micro
// kernels to apply in registers, when the maximum (if any) is with +0:
// the ReLU they compute.
func epilogueFunc[T float32 | float64](e *convEpilogue, ops []any) (*conv.Epilogue[T], error) {
	v, err := typedFlats[T](ops, "batch normalization operand", 1)
	if err != nil {
		return nil, err
	}
	a, sh := norm.InferenceCoefficients(v[0], v[1], v[2], v[3], e.eps)
	c, _ := e.max.([]T)
	epi := &conv.Epilogue[T]{Rows: func(rows []T) {
		norm.AffineRows(rows, rows, a, sh)
		if c != nil {
			// One worker: the caller is one of the convolution's.
			_ = fast.Max(rows, c, rows, 1)
		}
	}}
	if c == nil || isPosZero(c[0]) {
		epi.Scale, epi.Shift, epi.ReLU = a, sh, c != nil
	}
	return epi, nil
}

// isPosZero reports whether v is +0.
func isPosZero[T float32 | float64](v T) bool {
	if f, ok := any(v).(float32); ok {
		return math.Float32bits(f) == 0
	}
	return math.Float64bits(float64(v)) == 0
}

// fuseSeparable joins, in the compiled plan e, each live pointwise
// convolution step whose input is the output of a depthwise convolution
// step used by nothing else (no other live step, not a graph output) to
// that step: the pair then runs as one conv.RunSeparable, which never
// stores the depthwise output whole, and the depthwise step is dropped.
// In a training graph the depthwise output also feeds the pointwise
// kernel's gradient, so nothing is joined there. It reports whether it
// joined any.
func (b *builder) fuseSeparable(e *executable) bool {
	if b.be.noFuse || b.be.convFallback {
		return false
	}
	uses := e.useCounts()
	joined := false
	for i, st := range e.steps {
		k, ok := st.(*kernelStep)
		if !ok || !e.live[i] || k.dw != nil || uses[k.x.id] != 1 {
			continue
		}
		d, ok := k.x.step.(*kernelStep)
		if !ok || d.epi != nil || d.dw != nil || d.x == d.k || k.k == d.x || k.k == d.k || k.x == k.k ||
			!d.kernelsTake() || !k.kernelsTake() || !conv.Separable(d.spec, k.spec) {
			continue
		}
		k.dw = d
		joined = true
	}
	return joined
}

// useCounts returns, by value id, how many live steps use each value, a
// graph output counting as one more use.
func (e *executable) useCounts() []int {
	uses := make([]int, len(e.lastUse))
	for _, v := range e.outputs {
		uses[v.id]++
	}
	for i, st := range e.steps {
		if e.live[i] {
			for _, u := range st.uses() {
				uses[u.id]++
			}
		}
	}
	return uses
}

// fuseNormReLU joins, in the compiled plan e, the ReLU's element-wise steps
// of a training graph to the batch normalization steps next to them: a
// live Max with a scalar constant whose operand is a training step's
// normalized output, used by nothing else, is computed by that step on
// blocks of rows it has just written; a live MulSign (the ReLU's gradient)
// whose product is a gradient step's gradOutput, used by nothing else, is
// computed by that step a block of rows at a time, just before it sums
// them. Each saves a pass over a tensor in memory; the bits are those of
// the separate steps (fast.Max and fast.MulSign on the same values). It
// reports whether it joined any.
func (b *builder) fuseNormReLU(e *executable) bool {
	if b.be.noFuse {
		return false
	}
	uses := e.useCounts()
	joined := false
	for i, st := range e.steps {
		if !e.live[i] {
			continue
		}
		switch st := st.(type) {
		case *binaryStep:
			n, ok := st.x.step.(*normStep)
			if st.op != "Max" || st.c == nil || !ok || n.kind != normTraining || n.max != nil ||
				n.outs[0] != st.x || uses[st.x.id] != 1 {
				continue
			}
			n.max, st.joined = st, true
			joined = true
		case *normStep:
			gy := st.ins[len(st.ins)-1]
			m, ok := gy.step.(*binaryStep)
			// A MulSign's operands have its shape (mulOfSign); only Max steps are joined.
			if st.kind != normGradient || !ok || m.op != "MulSign" || uses[gy.id] != 1 {
				continue
			}
			st.mulSign = m
			joined = true
		}
	}
	return joined
}
