package cpu_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	"github.com/trgnas/trgnas/nas/backend/cpu"
)

// input is one graph input: its shape and values.
type input struct {
	dims []int
	data []float32
}

// graphFn builds a graph on b from its parameters (one per input).
type graphFn func(b compute.Function, params []compute.Value) ([]compute.Value, error)

// must panics on err: the graph functions of these tests are built from
// known-good ops, and a panic there is a test bug reported by build.
func must(op compute.Value, err error) compute.Value {
	if err != nil {
		panic(err)
	}
	return op
}

// conv2d is a NHWC x HWIO convolution with the given stride and padding.
func conv2d(b compute.Function, x, k compute.Value, stride, pad int) compute.Value {
	axes := compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	return must(b.ConvGeneral(x, k, axes, []int{stride, stride}, [][2]int{{pad, pad}, {pad, pad}},
		[]int{1, 1}, []int{1, 1}, 1, 1))
}

// scalar returns a float32 constant.
func scalar(b compute.Function, v float32) compute.Value {
	return must(b.Constant([]float32{v}))
}

// broadcastTo broadcasts scalar s to the shape of x.
func broadcastTo(b compute.Function, s, x compute.Value) compute.Value {
	shape, err := b.Shape(x)
	if err != nil {
		panic(err)
	}
	return must(b.BroadcastInDim(s, shape, nil))
}

// run builds fn on be, executes it with the inputs (donating those marked)
// and returns the flat outputs and the executable's plan (or "" for a
// backend other than this package's).
func run(t *testing.T, be compute.Backend, fn graphFn, ins []input, donate []bool) ([][]float32, string) {
	t.Helper()
	b := be.Builder("test").Main()
	params := make([]compute.Value, len(ins))
	for i, in := range ins {
		var err error
		params[i], err = b.Parameter(fmt.Sprintf("p%d", i), shapes.Make(dtypes.Float32, in.dims...), nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	outs, err := func() (outs []compute.Value, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("building: %v", r)
			}
		}()
		return fn(b, params)
	}()
	if err != nil {
		t.Fatal(err)
	}
	exec, err := compile(b, outs)
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	names, inShapes := exec.Inputs()
	if len(names) != len(ins) {
		t.Fatalf("Inputs: %d names, want %d", len(names), len(ins))
	}
	for i := range ins {
		if names[i] != fmt.Sprintf("p%d", i) || !slices.Equal(inShapes[i].Dimensions, ins[i].dims) {
			t.Fatalf("Inputs()[%d] = %q %s, want p%d %v", i, names[i], inShapes[i], i, ins[i].dims)
		}
	}
	bufs := make([]compute.Buffer, len(ins))
	for i, in := range ins {
		bufs[i], err = be.BufferFromFlatData(0, slices.Clone(in.data), shapes.Make(dtypes.Float32, in.dims...))
		if err != nil {
			t.Fatal(err)
		}
	}
	res, err := exec.Execute(bufs, donate, 0)
	if err != nil {
		t.Fatal(err)
	}
	outShapes := exec.Outputs()
	if len(outShapes) != len(res) {
		t.Fatalf("Outputs() has %d shapes, Execute returned %d buffers", len(outShapes), len(res))
	}
	got := make([][]float32, len(res))
	for i, r := range res {
		shape, err := r.Shape()
		if err != nil {
			t.Fatal(err)
		}
		if !shape.Equal(outShapes[i]) {
			t.Fatalf("output #%d has shape %s, Outputs() says %s", i, shape, outShapes[i])
		}
		got[i] = make([]float32, shape.Size())
		if err := r.ToFlatData(got[i]); err != nil {
			t.Fatal(err)
		}
		if err := r.Finalize(); err != nil {
			t.Fatal(err)
		}
	}
	// Inputs not donated are the caller's: still valid and unchanged.
	for i, in := range ins {
		if donate != nil && donate[i] {
			continue
		}
		flat := make([]float32, len(in.data))
		if err := bufs[i].ToFlatData(flat); err != nil {
			t.Fatalf("input #%d after execution: %v", i, err)
		}
		if !slices.Equal(flat, in.data) {
			t.Fatalf("input #%d (not donated) changed by execution", i)
		}
		if err := bufs[i].Finalize(); err != nil {
			t.Fatal(err)
		}
	}
	plan := ""
	if strings.HasPrefix(be.String(), cpu.Name) {
		plan = cpu.Plan(exec)
	}
	return got, plan
}

// seq returns n values of a deterministic, sign-varying sequence.
func seq(n int, scale float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = scale * float32((i*7)%11-5)
	}
	return v
}

func TestSegmentsMatchSimpleGo(t *testing.T) {
	x := input{dims: []int{2, 5, 5, 3}, data: seq(2*5*5*3, 0.25)}
	k := input{dims: []int{3, 3, 3, 3}, data: seq(27*3, 0.125)}
	k1 := input{dims: []int{1, 1, 3, 3}, data: seq(9, 0.5)}
	tests := []struct {
		name string
		fn   graphFn
		ins  []input
		plan string // with convolutions cut out
	}{
		{
			name: "no conv",
			fn: func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
				y := must(b.Mul(p[0], broadcastTo(b, scalar(b, 2), p[0])))
				return []compute.Value{must(b.Add(y, p[0]))}, nil
			},
			ins: []input{x}, plan: "S",
		},
		{
			name: "conv of parameters only",
			fn: func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
				return []compute.Value{conv2d(b, p[0], p[1], 1, 1)}, nil
			},
			ins: []input{x, k}, plan: "K",
		},
		{
			name: "one cut",
			fn: func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
				a := must(b.Mul(p[0], broadcastTo(b, scalar(b, 2), p[0])))
				c := conv2d(b, a, p[1], 2, 1)
				return []compute.Value{must(b.Max(c, broadcastTo(b, scalar(b, 0), c)))}, nil
			},
			ins: []input{x, k}, plan: "SKS",
		},
		{
			name: "many cuts, values crossing segments, parameter output",
			fn: func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
				a := must(b.Mul(p[0], broadcastTo(b, scalar(b, 0.5), p[0])))
				c1 := conv2d(b, a, p[1], 1, 1)
				b1 := must(b.Add(c1, a))
				c2 := conv2d(b, b1, p[1], 1, 1)
				b2 := must(b.Add(must(b.Mul(c2, a)), c1))
				c3 := conv2d(b, b2, p[2], 1, 0)
				c4 := conv2d(b, c3, p[2], 1, 0) // two kernel steps in a row
				out := must(b.Sub(c4, a))
				s := must(b.ReduceSum(out, 1, 2))
				return []compute.Value{out, b1, p[2], s, c1}, nil
			},
			ins: []input{x, k, k1}, plan: "SKSKSKKS",
		},
		{
			name: "dead code is dropped",
			fn: func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
				a := must(b.Neg(p[0]))
				_ = conv2d(b, a, p[1], 1, 1) // unused
				d := must(b.Exp(p[1]))       // unused, own segment
				_ = conv2d(b, a, d, 1, 1)    // unused
				return []compute.Value{must(b.Abs(a))}, nil
			},
			ins: []input{x, k}, plan: "SS", // the segment of Exp is dropped
		},
		{
			// The segment after the cut imports p[0] only for an unused
			// op, after its last used value: the Go backend fails on such an
			// input unless the segment gets a later output.
			name: "unused late import",
			fn: func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
				c := conv2d(b, p[0], p[1], 1, 1)
				a := must(b.Neg(c))
				_ = must(b.Exp(p[0])) // unused
				return []compute.Value{a}, nil
			},
			ins: []input{x, k}, plan: "KS",
		},
		{
			name: "multi-output op across a cut",
			fn: func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
				state := must(b.Constant([]uint64{1, 2, 3}, 3))
				newState, vals, err := b.RNGBitGenerator(state, shapes.Make(dtypes.Float32, 2, 5, 5, 3))
				if err != nil {
					return nil, err
				}
				c := conv2d(b, must(b.Add(p[0], vals)), p[1], 1, 1)
				f := must(b.ConvertDType(must(b.ReduceSum(newState, 0)), dtypes.Float32))
				return []compute.Value{must(b.Add(c, vals)), must(b.Mul(f, scalar(b, 0)))}, nil
			},
			ins: []input{x, k}, plan: "SKS",
		},
	}
	ref := newSimpleGo(t)
	fallback := newGofill(t, cpu.OptionConvFallback)
	noKernels := newGofill(t, cpu.OptionNoConvKernels)
	kernels := newGofill(t, "")
	for _, tt := range tests {
		for _, donate := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/donate=%v", tt.name, donate), func(t *testing.T) {
				var don []bool
				if donate {
					don = make([]bool, len(tt.ins))
					for i := range don {
						don[i] = true
					}
				}
				want, _ := run(t, ref, tt.fn, tt.ins, nil)
				got, plan := run(t, fallback, tt.fn, tt.ins, don)
				if want := strings.ReplaceAll(tt.plan, "K", "F"); plan != want {
					t.Errorf("plan %q, want %q", plan, want)
				}
				compare(t, "convfallback", got, want, 0)
				got, plan = run(t, noKernels, tt.fn, tt.ins, don)
				if plan != "S" && plan != "" {
					t.Errorf("plan with %s: %q, want at most one segment", cpu.OptionNoConvKernels, plan)
				}
				compare(t, cpu.OptionNoConvKernels, got, want, 0)
				// the project's own kernels sum in another order: float32 rounding.
				got, plan = run(t, kernels, tt.fn, tt.ins, don)
				if plan != tt.plan {
					t.Errorf("plan with kernels %q, want %q", plan, tt.plan)
				}
				compare(t, "kernels", got, want, 1e-5)
			})
		}
	}
}

// compare fails t when got and want differ anywhere by more than tol
// relative to max(1, |want|).
func compare(t *testing.T, what string, got, want [][]float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d outputs, want %d", what, len(got), len(want))
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("%s: output #%d has %d values, want %d", what, i, len(got[i]), len(want[i]))
		}
		for j := range want[i] {
			if d := math.Abs(float64(got[i][j] - want[i][j])); d > tol*max(1, math.Abs(float64(want[i][j]))) {
				t.Fatalf("%s: output #%d[%d] = %g, want %g", what, i, j, got[i][j], want[i][j])
			}
		}
	}
}

func TestSegmentErrors(t *testing.T) {
	be := newGofill(t, "")
	shape := shapes.Make(dtypes.Float32, 2, 3)
	other := be.Builder("other").Main()
	foreign, err := other.Parameter("q", shape, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := be.Builder("g").Main()
	p, err := b.Parameter("p", shape, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(p, foreign); err == nil || !strings.Contains(err.Error(), "Add") || !strings.Contains(err.Error(), "another builder") {
		t.Errorf("Add with an op of another builder: error %v", err)
	}
	if _, err := b.Neg(42); err == nil || !strings.Contains(err.Error(), "Neg") {
		t.Errorf("Neg of a non-op: error %v", err)
	}
	y, err := b.Neg(p)
	if err != nil {
		t.Fatal(err)
	}
	exec, err := compile(b, []compute.Value{y})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compile(b, []compute.Value{y}); err == nil {
		t.Error("second Compile: no error")
	}
	if _, err := exec.Execute(nil, nil, 0); err == nil || !strings.Contains(err.Error(), "expected 1 inputs") {
		t.Errorf("Execute without inputs: error %v", err)
	}
	wrong, err := be.BufferFromFlatData(0, make([]float32, 4), shapes.Make(dtypes.Float32, 4))
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Finalize()
	if _, err := exec.Execute([]compute.Buffer{wrong}, nil, 0); err == nil || !strings.Contains(err.Error(), `"p"`) {
		t.Errorf("Execute with a wrong shape: error %v", err)
	}
	exec.Finalize()
	exec.Finalize() // twice is harmless
	if _, err := exec.Execute([]compute.Buffer{wrong}, nil, 0); err == nil || !strings.Contains(err.Error(), "finalized") {
		t.Errorf("Execute after Finalize: error %v", err)
	}
}
