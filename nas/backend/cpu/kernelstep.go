package cpu

import (
	"slices"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// kernel is a step that the backend runs itself between segments: it computes
// its values from the buffers of the values it uses.
type kernel interface {
	step
	// outputs are the values the step defines.
	outputs() []*value
	// setIndex moves the step to position i of the plan.
	setIndex(i int)
	// prepare readies the step to run; called once by Compile.
	prepare(be *backend) error
	// exec computes the outputs, in order, from the buffers of uses(), in
	// that order, into new buffers; it leaves the inputs to the caller.
	exec(be *backend, ins []compute.Buffer) ([]compute.Buffer, error)
	// letter names the kind of step in plan().
	letter() byte
	// finalize releases what prepare made.
	finalize()
	// String describes the step for error messages.
	String() string
}

var (
	_ kernel = (*kernelStep)(nil)
	_ kernel = (*bcastStep)(nil)
	_ kernel = (*reduceStep)(nil)
	_ kernel = (*signStep)(nil)
	_ kernel = (*fromBoolStep)(nil)
	_ kernel = (*normStep)(nil)
	_ kernel = (*binaryStep)(nil)
)

func (k *kernelStep) outputs() []*value { return []*value{k.out} }
func (k *kernelStep) setIndex(i int)    { k.index = i }

func (k *kernelStep) letter() byte {
	if k.fallback != nil {
		return 'F'
	}
	if k.dw != nil {
		return 'D'
	}
	return 'K'
}

// exec runs the convolution: ins holds the buffers of uses().
func (k *kernelStep) exec(be *backend, ins []compute.Buffer) ([]compute.Buffer, error) {
	if k.dw == nil && k.x == k.k {
		// One buffer is both the input and the kernel.
		ins = append([]compute.Buffer{ins[0]}, ins...)
	}
	out, err := k.run(be, ins)
	if err != nil {
		return nil, err
	}
	return []compute.Buffer{out}, nil
}

// place adds a kernel step to the plan. When the open segment defines none
// of the values the step uses, the step goes just before that segment,
// which stays open: the graph is not cut. Otherwise the open segment is
// closed and the step follows it.
func (b *builder) place(k kernel) {
	if s := b.cur; s != nil && !s.definesAny(k.uses()) {
		k.setIndex(s.index)
		s.index++
		b.steps = slices.Insert(b.steps, len(b.steps)-1, step(k))
		return
	}
	k.setIndex(len(b.steps))
	b.steps = append(b.steps, k)
	b.cur = nil
}

// definesAny reports whether s defines one of vs.
func (s *segment) definesAny(vs []*value) bool {
	for _, v := range vs {
		if v.seg == s {
			return true
		}
	}
	return false
}

// oneInput is the bookkeeping shared by the kernel steps that read one
// value and need nothing prepared: their position, input and output.
type oneInput struct {
	index  int
	x, out *value
}

func (k *oneInput) stepIndex() int         { return k.index }
func (k *oneInput) setIndex(i int)         { k.index = i }
func (k *oneInput) uses() []*value         { return []*value{k.x} }
func (k *oneInput) outputs() []*value      { return []*value{k.out} }
func (k *oneInput) prepare(*backend) error { return nil }
func (k *oneInput) finalize()              {}

// runFlat calls run with the flat data of the buffers ins and of new
// buffers of the given shapes, and returns the new buffers (released
// again when run fails).
func runFlat(be *backend, ins []compute.Buffer, outShapes []shapes.Shape, run func(ins, outs []any) error) ([]compute.Buffer, error) {
	flats := make([]any, len(ins))
	for i, buf := range ins {
		f, err := buf.Data()
		if err != nil {
			return nil, err
		}
		flats[i] = f
	}
	outs := make([]compute.Buffer, len(outShapes))
	oflats := make([]any, len(outShapes))
	release := func() {
		for _, o := range outs {
			if o != nil {
				be.outs.release(o)
			}
		}
	}
	for i, shape := range outShapes {
		var err error
		if outs[i], oflats[i], err = be.outs.get(shape); err != nil {
			release()
			return nil, err
		}
	}
	if err := run(flats, oflats); err != nil {
		release()
		return nil, err
	}
	return outs, nil
}
