package cpu

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// function is the builder's main function: the ops are methods of the
// builder, which this type presents as a compute.Function.
type function struct{ *builder }

var _ compute.Function = (*function)(nil)

// Name implements compute.Function.
func (f *function) Name() string { return compute.MainName }

// Builder implements compute.Function.
func (f *function) Builder() compute.Builder { return f.builder }

// Parent implements compute.Function: main has none.
func (f *function) Parent() compute.Function { return nil }

// Shape implements compute.Function.
func (f *function) Shape(v compute.Value) (shapes.Shape, error) { return f.OpShape(v) }

// Return implements compute.Function: the outputs are compiled by Compile.
func (f *function) Return(outputs []compute.Value, shardings []*compute.ShardingSpec) error {
	if f.compiled {
		return f.fail("Return", errCompiled)
	}
	if f.returned != nil {
		return f.fail("Return", fmt.Errorf("the main function has returned already"))
	}
	if len(shardings) != 0 {
		return f.fail("Return", fmt.Errorf("sharding is not supported"))
	}
	outs := make([]*value, len(outputs))
	for i, op := range outputs {
		v, err := f.value(op)
		if err != nil {
			return f.fail("Return", fmt.Errorf("output #%d: %w", i, err))
		}
		outs[i] = v
	}
	f.returned = outs
	return nil
}

// Closure implements compute.Function: not supported.
func (f *function) Closure() (compute.Function, error) {
	return nil, f.fail("Closure", errNoFunctions)
}

// Call implements compute.Function: not supported.
func (f *function) Call(compute.Function, ...compute.Value) ([]compute.Value, error) {
	return nil, f.fail("Call", errNoFunctions)
}

// Sort implements compute.Function: not supported.
func (f *function) Sort(compute.Function, int, bool, ...compute.Value) ([]compute.Value, error) {
	return nil, f.fail("Sort", errNoFunctions)
}

// While implements compute.Function: not supported.
func (f *function) While(_, _ compute.Function, _ ...compute.Value) ([]compute.Value, error) {
	return nil, f.fail("While", errNoFunctions)
}

// If implements compute.Function: not supported.
func (f *function) If(compute.Value, compute.Function, compute.Function) ([]compute.Value, error) {
	return nil, f.fail("If", errNoFunctions)
}
