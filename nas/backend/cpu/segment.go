package cpu

import (
	"errors"
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

//go:generate go run ./internal/gen -o gen_ops.go

// value is the Op the segmenting builder hands out: one tensor of the graph,
// defined by exactly one of a graph parameter, an op of a segment, or a
// kernel step.
type value struct {
	id    int
	owner *builder
	shape shapes.Shape
	name  string // of a graph parameter

	param int           // index of the graph parameter, or -1
	seg   *segment      // defining segment, or nil
	inner compute.Value // the value in seg's Go backend function
	node  int           // position among seg's values and imports (from 1)
	step  kernel        // defining kernel step, or nil

	// What the folds of fold.go know of the value.
	zero   bool        // every element is zero (x - x)
	concat *concatInfo // the value is the concatenation of parts

	scalar any // flat data of a one-element float Constant (for kernel steps), or nil
}

// describe names where a value comes from, for error messages.
func (v *value) describe() string {
	switch {
	case v.param >= 0:
		return fmt.Sprintf("parameter #%d %s", v.param, v.shape)
	case v.step != nil:
		return fmt.Sprintf("output of kernel step #%d %s", v.step.stepIndex(), v.shape)
	default:
		return fmt.Sprintf("value of segment #%d %s", v.seg.index, v.shape)
	}
}

// step is one piece of the execution plan: a segment or a kernel step.
type step interface {
	// stepIndex is the position of the step in the plan.
	stepIndex() int
	// uses lists the values the step reads.
	uses() []*value
}

// segment is a Go backend sub-graph: the ops built between two kernel steps.
type segment struct {
	index int
	b     compute.Builder  // the Go backend's builder
	fn    compute.Function // its main function, where the segment's ops go

	values   []*value                 // values defined here, in order
	imports  []*value                 // values from elsewhere, in the order of b's Parameters
	imported map[*value]compute.Value // value -> its Parameter in b
	defined  map[compute.Value]*value // op of b -> its value (imports included)
	exports  []*value                 // defined values used later; set by Compile
	exec     compute.Executable       // set by Compile; nil when nothing is used
	nodes    int                      // values defined and imported so far
	lastIn   int                      // nodes when the last import was made
	sentinel bool                     // exec has one more output than exports: see Compile
	own      *builder
}

func (s *segment) stepIndex() int { return s.index }
func (s *segment) uses() []*value { return s.imports }

// use returns the op of s standing for op, which must be a value of the
// same builder: a value defined in s itself, or a Parameter of s that
// imports it (created once per segment and value). nil stays nil.
func (s *segment) use(op compute.Value) (compute.Value, error) {
	if op == nil {
		return nil, nil // an optional operand left out (e.g. FusedLayerNorm's gamma)
	}
	v, err := s.own.value(op)
	if err != nil {
		return nil, err
	}
	if v.seg == s {
		return v.inner, nil
	}
	if in, ok := s.imported[v]; ok {
		return in, nil
	}
	in, err := s.fn.Parameter(fmt.Sprintf("v%d", v.id), v.shape, nil)
	if err != nil {
		return nil, fmt.Errorf("importing %s into segment #%d: %w", v.describe(), s.index, err)
	}
	s.imports = append(s.imports, v)
	s.imported[v] = in
	s.defined[in] = v
	s.nodes++
	s.lastIn = s.nodes
	return in, nil
}

// useAll is use for each op.
func (s *segment) useAll(ops []compute.Value) ([]compute.Value, error) {
	out := make([]compute.Value, len(ops))
	for i, op := range ops {
		var err error
		if out[i], err = s.use(op); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// defAll is def for each op.
func (s *segment) defAll(ops []compute.Value) []compute.Value {
	out := make([]compute.Value, len(ops))
	for i, op := range ops {
		out[i] = s.def(op)
	}
	return out
}

// def wraps an op just built in s as a value; an op seen before (the Go
// backend may hand back an existing node) keeps its value.
func (s *segment) def(op compute.Value) compute.Value {
	if v, ok := s.defined[op]; ok {
		return v
	}
	shape, _ := s.b.OpShape(op)
	v := s.own.newValue(shape)
	v.seg, v.inner = s, op
	s.nodes++
	v.node = s.nodes
	s.defined[op] = v
	s.values = append(s.values, v)
	return v
}

// newValue registers a new value of the builder.
func (b *builder) newValue(shape shapes.Shape) *value {
	v := &value{id: len(b.values), owner: b, shape: shape, param: -1}
	b.values = append(b.values, v)
	return v
}

// value checks that op is a live value of b.
func (b *builder) value(op compute.Value) (*value, error) {
	v, ok := op.(*value)
	if !ok || v == nil {
		return nil, fmt.Errorf("op of type %T is not from the %s builder", op, Name)
	}
	if v.owner != b {
		return nil, fmt.Errorf("%s belongs to another builder (%q)", v.describe(), v.owner.name)
	}
	return v, nil
}

// segment returns the current segment, starting a new one after a kernel
// step (or at the start).
func (b *builder) segment() *segment {
	if b.cur == nil {
		inner := b.be.Backend.Builder(fmt.Sprintf("%s#%d", b.name, len(b.steps)))
		s := &segment{
			index:    len(b.steps),
			b:        inner,
			fn:       inner.Main(),
			imported: map[*value]compute.Value{},
			defined:  map[compute.Value]*value{},
			own:      b,
		}
		b.steps = append(b.steps, s)
		b.cur = s
	}
	return b.cur
}

// fail wraps an error of building op.
func (b *builder) fail(op string, err error) error {
	return fmt.Errorf("%s: %s: %w", Name, op, err)
}

// errCompiled is returned by a builder used after Compile.
var errCompiled = errors.New("builder already compiled")

// errNoFunctions is returned for sub-functions, which the segments do not
// carry (see backend.Capabilities).
var errNoFunctions = fmt.Errorf("sub-functions are not supported by the %s backend: %w", Name, compute.ErrNotImplemented)
