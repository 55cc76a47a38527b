package cpu

import (
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// builder is the segmenting Builder: the graph is built as a sequence of
// steps, Go backend sub-graphs (segments) separated by ops that this backend
// runs itself (kernel steps). Ops are added to the current segment; a kernel
// step closes it, and the next op starts a new one. A value of an earlier
// step used in a segment becomes a Parameter of that segment.
type builder struct {
	be       *backend
	name     string
	values   []*value // every value, indexed by id
	params   []*value // graph parameters, in order
	steps    []step   // the plan, in order of construction
	cur      *segment // the open segment, or nil
	main     *function
	returned []*value // the main function's outputs, set by Return
	compiled bool
}

var _ compute.Builder = (*builder)(nil)

// Name implements compute.Builder.
func (b *builder) Name() string { return b.name }

// Main implements compute.Builder: the one function, where every op goes.
func (b *builder) Main() compute.Function { return b.main }

// NewFunction implements compute.Builder: sub-functions are not supported
// (see Capabilities).
func (b *builder) NewFunction(name string) (compute.Function, error) {
	return nil, b.fail("NewFunction", fmt.Errorf("function %q: %w", name, errNoFunctions))
}

// OpShape implements compute.Builder.
func (b *builder) OpShape(op compute.Value) (shapes.Shape, error) {
	v, err := b.value(op)
	if err != nil {
		return shapes.Invalid(), b.fail("OpShape", err)
	}
	return v.shape, nil
}

// Parameter implements compute.Function. The parameter becomes a Parameter
// of each segment that uses it.
func (b *builder) Parameter(name string, shape shapes.Shape, sharding *compute.ShardingSpec) (compute.Value, error) {
	if b.compiled {
		return nil, b.fail("Parameter", errCompiled)
	}
	if sharding != nil {
		return nil, b.fail("Parameter", fmt.Errorf("parameter %q: sharding is not supported", name))
	}
	if !shape.Ok() {
		return nil, b.fail("Parameter", fmt.Errorf("parameter %q: invalid shape %s", name, shape))
	}
	v := b.newValue(shape)
	v.param = len(b.params)
	v.name = name
	b.params = append(b.params, v)
	return v, nil
}

// Constant implements compute.Function: the constant is built in the
// current segment. A one-element float constant also keeps its value, for
// kernel steps that take a scalar operand without using the segment.
func (b *builder) Constant(flat any, dims ...int) (compute.Value, error) {
	if b.compiled {
		return nil, b.fail("Constant", errCompiled)
	}
	s := b.segment()
	op, err := s.fn.Constant(flat, dims...)
	if err != nil {
		return nil, b.fail("Constant", err)
	}
	v := s.def(op).(*value)
	switch f := flat.(type) {
	case []float32:
		if len(f) == 1 {
			v.scalar = []float32{f[0]}
		}
	case []float64:
		if len(f) == 1 {
			v.scalar = []float64{f[0]}
		}
	}
	return v, nil
}

// DistributedSPMD implements compute.Builder: only one device is supported.
func (b *builder) DistributedSPMD(numDevices int) error {
	if numDevices == 1 {
		return nil
	}
	return b.fail("DistributedSPMD", fmt.Errorf("%d devices: distributed execution is not supported", numDevices))
}

// DistributedAutoSharding implements compute.Builder: not supported.
func (b *builder) DistributedAutoSharding(meshes ...compute.Mesh) error {
	return b.fail("DistributedAutoSharding", fmt.Errorf("distributed execution is not supported"))
}

// DeviceAssignment implements compute.Builder: only device 0 is accepted.
func (b *builder) DeviceAssignment(devices ...compute.DeviceNum) error {
	if len(devices) == 0 || (len(devices) == 1 && devices[0] == 0) {
		return nil
	}
	return b.fail("DeviceAssignment", fmt.Errorf("devices %v: only device 0 is supported", devices))
}

// AllReduce implements compute.CollectiveOps by handing it to the Go backend in
// the current segment.
func (b *builder) AllReduce(operands []compute.Value, reductionType compute.ReduceOpType, replicaGroups [][]int) ([]compute.Value, error) {
	s := b.segment()
	ins, err := s.useAll(operands)
	if err != nil {
		return nil, b.fail("AllReduce", err)
	}
	outs, err := s.fn.AllReduce(ins, reductionType, replicaGroups)
	if err != nil {
		return nil, b.fail("AllReduce", err)
	}
	for i, op := range outs {
		outs[i] = s.def(op)
	}
	return outs, nil
}

// Compile implements compute.Builder: it compiles the outputs given to the
// main function's Return. Each segment's outputs are its values used later
// (by later segments, kernel steps or the graph outputs); steps whose
// results nothing uses are dropped.
func (b *builder) Compile() (compute.Executable, error) {
	if b.compiled {
		return nil, b.fail("Compile", errCompiled)
	}
	if b.returned == nil {
		return nil, b.fail("Compile", fmt.Errorf("the main function has not returned (call Return first)"))
	}
	outs := b.returned
	b.compiled = true
	b.cur = nil

	e := &executable{
		be:      b.be,
		name:    b.name,
		params:  b.params,
		outputs: outs,
		steps:   b.steps,
		live:    make([]bool, len(b.steps)),
		lastUse: make([]int, len(b.values)),
	}
	e.markLive()
	if b.fuseSeparable(e) {
		e.markLive()
	}
	if b.fuseNormReLU(e) {
		e.markLive()
	}
	for i, st := range b.steps {
		if !e.live[i] {
			continue
		}
		var err error
		switch st := st.(type) {
		case *segment:
			inner := make([]compute.Value, len(st.exports), len(st.exports)+1)
			last := 0
			for j, v := range st.exports {
				inner[j] = v.inner
				last = max(last, v.node)
			}
			// The Go backend (compute v0.1.3, as SimpleGo before it)
			// processes the nodes up to the last output only, and indexes
			// its per-node state with every Parameter: a Parameter created
			// after the last output (an import whose op was folded away or
			// is unused) is out of range. A scalar constant made now is a
			// last output that covers them.
			if st.lastIn > last {
				c, cerr := st.fn.Constant(make([]float32, 1))
				if cerr != nil {
					err = cerr
					break
				}
				inner = append(inner, c)
				st.sentinel = true
			}
			if err = st.fn.Return(inner, nil); err == nil {
				st.exec, err = st.b.Compile()
			}
			if err != nil {
				err = fmt.Errorf("segment #%d (%d values, %d imports): %w", st.index, len(st.values), len(st.imports), err)
			}
		case kernel:
			err = st.prepare(b.be)
		}
		if err != nil {
			e.Finalize()
			return nil, b.fail("Compile", err)
		}
	}
	return e, nil
}

// markLive sets which steps run (those whose results the outputs need,
// directly or through later steps) and the last use of each value, and
// which values each segment exports.
func (e *executable) markLive() {
	for i := range e.lastUse {
		e.lastUse[i] = -1
	}
	needed := make([]bool, len(e.lastUse))
	for _, v := range e.outputs {
		needed[v.id] = true
		e.lastUse[v.id] = keepToEnd
	}
	for i := len(e.steps) - 1; i >= 0; i-- {
		switch st := e.steps[i].(type) {
		case *segment:
			st.exports = nil
			for _, v := range st.values {
				if needed[v.id] {
					st.exports = append(st.exports, v)
				}
			}
			e.live[i] = len(st.exports) > 0
		case kernel:
			e.live[i] = slices.ContainsFunc(st.outputs(), func(v *value) bool { return needed[v.id] })
		}
		if !e.live[i] {
			continue
		}
		for _, u := range e.steps[i].uses() {
			needed[u.id] = true
			if e.lastUse[u.id] == -1 {
				e.lastUse[u.id] = i
			}
		}
	}
}

// keepToEnd is the last use of a graph output: it is never released.
const keepToEnd = int(^uint(0) >> 1)

// plan describes the steps of a compiled graph, for tests and debugging:
// one letter per live step, "S" a segment, "K" a kernel step run by
// package conv, "D" a depthwise and a pointwise convolution run together
// by package conv, "F" one run as a one-op Go backend executable, "N" a
// batch normalization run by package norm, and "B" a BroadcastInDim, "R"
// a ReduceSum, "G" a Sign and "C" a ConvertDType from Bool run by package
// fast.
func (e *executable) plan() string {
	var p []byte
	for i, st := range e.steps {
		if !e.live[i] {
			continue
		}
		switch st := st.(type) {
		case *segment:
			p = append(p, 'S')
		case kernel:
			p = append(p, st.letter())
		}
	}
	return string(p)
}

// executable runs the steps of a compiled segmenting builder in order.
type executable struct {
	be      *backend
	name    string
	params  []*value
	outputs []*value
	steps   []step
	live    []bool
	lastUse []int // value id -> index of the last live step using it, keepToEnd or -1

	finalized atomic.Bool
}

var _ compute.Executable = (*executable)(nil)

// Finalize implements compute.Executable.
func (e *executable) Finalize() {
	if e.finalized.Swap(true) {
		return
	}
	for _, st := range e.steps {
		switch st := st.(type) {
		case *segment:
			if st.exec != nil {
				st.exec.Finalize()
				st.exec = nil
			}
		case kernel:
			st.finalize()
		}
	}
}

// Inputs implements compute.Executable: the graph parameters in order.
func (e *executable) Inputs() (names []string, inputShapes []shapes.Shape) {
	if len(e.params) == 0 {
		return nil, nil
	}
	for _, p := range e.params {
		names = append(names, p.name)
		inputShapes = append(inputShapes, p.shape)
	}
	return names, inputShapes
}

// Outputs implements compute.Executable.
func (e *executable) Outputs() (outputShapes []shapes.Shape) {
	for _, v := range e.outputs {
		outputShapes = append(outputShapes, v.shape)
	}
	return outputShapes
}

// Execute implements compute.Executable. Every intermediate buffer is
// donated to, or released after, its last consumer; inputs marked in donate
// are treated the same way, the others are left to the caller. Outputs are
// buffers of this backend (Go backend buffers that name this backend as
// their owner) owned by the caller.
func (e *executable) Execute(inputs []compute.Buffer, donate []bool, device compute.DeviceNum) ([]compute.Buffer, error) {
	if e.finalized.Load() {
		return nil, fmt.Errorf("%s: executing %q: executable already finalized", Name, e.name)
	}
	if len(inputs) != len(e.params) {
		return nil, fmt.Errorf("%s: executing %q: expected %d inputs, got %d", Name, e.name, len(e.params), len(inputs))
	}
	if len(donate) == 0 {
		donate = make([]bool, len(inputs))
	} else if len(donate) != len(inputs) {
		return nil, fmt.Errorf("%s: executing %q: %d donate flags for %d inputs", Name, e.name, len(donate), len(inputs))
	}
	inner := e.be.Backend
	bufs := make([]compute.Buffer, len(e.lastUse))
	owned := make([]bool, len(e.lastUse))
	for i, p := range e.params {
		if inputs[i] == nil {
			return nil, fmt.Errorf("%s: executing %q: input #%d (%q) is nil", Name, e.name, i, p.name)
		}
		shape, err := inputs[i].Shape()
		if err != nil {
			return nil, fmt.Errorf("%s: executing %q: input #%d (%q): %w", Name, e.name, i, p.name, err)
		}
		if !shape.Equal(p.shape) {
			return nil, fmt.Errorf("%s: executing %q: input #%d (%q): expected shape %s, got %s", Name, e.name, i, p.name, p.shape, shape)
		}
		bufs[p.id], owned[p.id] = unwrap(inputs[i]), donate[i]
	}
	pool := e.be.outs
	release := func() {
		for id, buf := range bufs {
			if buf != nil && owned[id] {
				pool.release(buf)
			}
			bufs[id] = nil
		}
	}
	for i, st := range e.steps {
		if !e.live[i] {
			continue
		}
		switch st := st.(type) {
		case *segment:
			ins := make([]compute.Buffer, len(st.imports))
			don := make([]bool, len(st.imports))
			for j, v := range st.imports {
				ins[j] = bufs[v.id]
				don[j] = owned[v.id] && e.lastUse[v.id] == i
			}
			outs, err := st.exec.Execute(ins, don, device)
			if err != nil {
				for j, v := range st.imports {
					if don[j] { // the failed execution may have taken it
						bufs[v.id] = nil
					}
				}
				release()
				return nil, fmt.Errorf("%s: executing %q: segment #%d of %d steps (%d values): %w", Name, e.name, i, len(e.steps), len(st.values), err)
			}
			for j, v := range st.imports {
				if don[j] {
					bufs[v.id], owned[v.id] = nil, false
				}
			}
			for j, v := range st.exports {
				bufs[v.id], owned[v.id] = outs[j], true
			}
			if st.sentinel {
				_ = outs[len(outs)-1].Finalize()
			}
		case kernel:
			uses := st.uses()
			ins := make([]compute.Buffer, len(uses))
			for j, v := range uses {
				ins[j] = bufs[v.id]
			}
			outs, err := st.exec(e.be, ins)
			if err != nil {
				release()
				return nil, fmt.Errorf("%s: executing %q: kernel step #%d (%s): %w", Name, e.name, i, st, err)
			}
			for _, v := range uses {
				if owned[v.id] && e.lastUse[v.id] == i {
					pool.release(bufs[v.id])
					bufs[v.id], owned[v.id] = nil, false
				}
			}
			for j, v := range st.outputs() {
				bufs[v.id], owned[v.id] = outs[j], true
			}
		}
	}
	results := make([]compute.Buffer, len(e.outputs))
	for j, v := range e.outputs {
		buf := bufs[v.id]
		if buf == nil {
			release()
			for _, r := range results[:j] {
				_ = r.Finalize()
			}
			return nil, fmt.Errorf("%s: executing %q: output #%d (%s) was not computed", Name, e.name, j, v.describe())
		}
		if owned[v.id] {
			results[j], owned[v.id] = e.be.wrap(buf), false
			continue
		}
		c, err := cloneBuffer(inner, buf)
		if err != nil {
			release()
			return nil, fmt.Errorf("%s: executing %q: copying output #%d: %w", Name, e.name, j, err)
		}
		results[j] = e.be.wrap(c)
	}
	// Whatever is left (e.g. donated inputs nothing used) is released.
	release()
	return results, nil
}

// cloneBuffer returns a copy of buf.
func cloneBuffer(be compute.Backend, buf compute.Buffer) (compute.Buffer, error) {
	shape, err := buf.Shape()
	if err != nil {
		return nil, err
	}
	flat, err := buf.Data()
	if err != nil {
		return nil, err
	}
	return be.BufferFromFlatData(0, flat, shape)
}
