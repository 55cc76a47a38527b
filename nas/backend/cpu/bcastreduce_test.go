package cpu_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	"github.com/trgnas/trgnas/nas/backend/cpu"
)

// typed converts values to a flat slice of dtype dt.
func typed(dt dtypes.DType, v []float64) any {
	switch dt {
	case dtypes.Float32:
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	case dtypes.Int32:
		out := make([]int32, len(v))
		for i, x := range v {
			out[i] = int32(x)
		}
		return out
	}
	return slices.Clone(v)
}

// untyped converts a flat slice back to float64.
func untyped(flat any) []float64 {
	switch f := flat.(type) {
	case []float32:
		out := make([]float64, len(f))
		for i, x := range f {
			out[i] = float64(x)
		}
		return out
	case []int32:
		out := make([]float64, len(f))
		for i, x := range f {
			out[i] = float64(x)
		}
		return out
	}
	return slices.Clone(flat.([]float64))
}

// runTyped builds fn on be with one parameter of dtype dt per input, runs it
// and returns the outputs as float64, and the plan ("" for other backends).
func runTyped(t *testing.T, be compute.Backend, dt dtypes.DType, dims [][]int, data [][]float64,
	fn graphFn) ([][]float64, string) {
	t.Helper()
	b := be.Builder("test").Main()
	params := make([]compute.Value, len(dims))
	bufs := make([]compute.Buffer, len(dims))
	for i := range dims {
		shape := shapes.Make(dt, dims[i]...)
		var err error
		if params[i], err = b.Parameter(fmt.Sprintf("p%d", i), shape, nil); err != nil {
			t.Fatal(err)
		}
		if bufs[i], err = be.BufferFromFlatData(0, typed(dt, data[i]), shape); err != nil {
			t.Fatal(err)
		}
	}
	outs, err := fn(b, params)
	if err != nil {
		t.Fatal(err)
	}
	exec, err := compile(b, outs)
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	res, err := exec.Execute(bufs, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make([][]float64, len(res))
	for i, r := range res {
		flat, err := r.Data()
		if err != nil {
			t.Fatal(err)
		}
		got[i] = untyped(flat)
		if err := r.Finalize(); err != nil {
			t.Fatal(err)
		}
	}
	for _, buf := range bufs {
		if err := buf.Finalize(); err != nil {
			t.Fatal(err)
		}
	}
	plan := ""
	if strings.HasPrefix(be.String(), cpu.Name) {
		plan = cpu.Plan(exec)
	}
	return got, plan
}

// smallInts returns n values in {-3, ..., 3}: sums of them are exact in
// float32 in any order, so results can be compared bit for bit.
func smallInts(r *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(r.IntN(7) - 3)
	}
	return v
}

// randDims returns rank dimensions, mostly small and odd, some 1.
func randDims(r *rand.Rand, rank int) []int {
	dims := make([]int, rank)
	for i := range dims {
		dims[i] = 1
		if r.IntN(4) > 0 {
			dims[i] = 1 + r.IntN(7)
		}
	}
	return dims
}

func numel(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// TestBroadcastReduceMatchSimpleGo runs random BroadcastInDim and ReduceSum
// (ranks 1-5, every subset of reduced axes, size-1 and new broadcast axes)
// through the backend with every one intercepted, and with interception off,
// and compares with the plain Go backend bit for bit.
func TestBroadcastReduceMatchSimpleGo(t *testing.T) {
	ref := newSimpleGo(t)
	all := newGofill(t, cpu.OptionFastKernelMin+"=0")
	off := newGofill(t, cpu.OptionNoFastKernels)
	r := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64, dtypes.Int32} {
		for rank := 1; rank <= 5; rank++ {
			outDims := randDims(r, rank)
			var axes, inDims []int
			for a, d := range outDims {
				switch r.IntN(3) {
				case 0: // new axis
				case 1:
					axes, inDims = append(axes, a), append(inDims, 1)
				default:
					axes, inDims = append(axes, a), append(inDims, d)
				}
			}
			dims := randDims(r, rank)
			subsets := 1 << rank
			fn := func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
				y, err := b.BroadcastInDim(p[0], shapes.Make(dt, outDims...), axes)
				if err != nil {
					return nil, err
				}
				outs := []compute.Value{y}
				for m := range subsets {
					var red []int
					for a := range rank {
						if m&(1<<a) != 0 {
							red = append(red, a)
						}
					}
					s, err := b.ReduceSum(p[1], red...)
					if err != nil {
						return nil, err
					}
					outs = append(outs, s)
				}
				return outs, nil
			}
			name := fmt.Sprintf("%s/broadcast %v->%v axes %v/reduce %v", dt, inDims, outDims, axes, dims)
			t.Run(name, func(t *testing.T) {
				allDims := [][]int{inDims, dims}
				data := [][]float64{smallInts(r, numel(inDims)), smallInts(r, numel(dims))}
				want, _ := runTyped(t, ref, dt, allDims, data, fn)
				for _, be := range []compute.Backend{all, off} {
					got, plan := runTyped(t, be, dt, allDims, data, fn)
					for i := range want {
						if !slices.Equal(got[i], want[i]) {
							t.Fatalf("plan %q: output #%d = %v, want %v", plan, i, got[i], want[i])
						}
					}
					wantPlan := "S"
					if be == all && dt != dtypes.Int32 {
						// The inputs are parameters: no step cuts the graph.
						// The Go backend fills from one value itself, in a segment
						// the sums (of a parameter) go before.
						wantPlan = strings.Repeat("R", subsets) + "S"
						if numel(inDims) > 1 {
							wantPlan = "B" + wantPlan[:subsets]
						}
					}
					if plan != wantPlan {
						t.Errorf("plan %q, want %q", plan, wantPlan)
					}
				}
			})
		}
	}
}

// TestBroadcastReducePlacement checks where the steps go: before the open
// segment when it defines none of their inputs, after it otherwise; below
// the size threshold they stay in the segment.
func TestBroadcastReducePlacement(t *testing.T) {
	x := input{dims: []int{4, 5, 5, 3}, data: seq(4*5*5*3, 0.25)}
	c := input{dims: []int{3}, data: []float32{1, -2, 0.5}}
	k := input{dims: []int{3, 3, 3, 3}, data: seq(27*3, 0.125)}
	bn := func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
		shape, _ := b.Shape(p[0])
		y := must(b.Add(p[0], p[0]))
		scale := must(b.BroadcastInDim(p[1], shape, []int{3})) // of a parameter
		mean := must(b.ReduceSum(y, 0, 1, 2))                  // of y: cut
		m := must(b.BroadcastInDim(mean, shape, []int{3}))     // of the reduction: no open segment
		return []compute.Value{must(b.Div(must(b.Sub(y, m)), scale))}, nil
	}
	afterConv := func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
		cv := conv2d(b, p[0], p[2], 1, 1)
		a := must(b.Neg(p[0]))
		s := must(b.ReduceSum(cv, 0, 1, 2)) // of the conv output, in the open segment's time
		return []compute.Value{must(b.Add(must(b.ReduceSum(a, 0, 1, 2)), s))}, nil
	}
	tests := []struct {
		name   string
		config string
		fn     graphFn
		ins    []input
		plan   string
	}{
		{"all intercepted", cpu.OptionFastKernelMin + "=0", bn, []input{x, c}, "BSRBS"},
		{"default threshold", "", bn, []input{x, c}, "S"},
		{"threshold met", cpu.OptionFastKernelMin + "=300", bn, []input{x, c}, "BSRBS"},
		{"threshold missed", cpu.OptionFastKernelMin + "=301", bn, []input{x, c}, "S"},
		{"off", cpu.OptionNoFastKernels + "," + cpu.OptionFastKernelMin + "=0", bn, []input{x, c}, "S"},
		{"hoisted past the open segment", cpu.OptionFastKernelMin + "=0", afterConv, []input{x, c, k}, "KRSRS"},
	}
	ref := newSimpleGo(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _ := run(t, ref, tt.fn, tt.ins, nil)
			got, plan := run(t, newGofill(t, tt.config), tt.fn, tt.ins, nil)
			if plan != tt.plan {
				t.Errorf("plan %q, want %q", plan, tt.plan)
			}
			compare(t, tt.name, got, want, 1e-5)
		})
	}
}

// TestReduceSumDeterministic: a BatchNorm-sized reduction gives the same
// bits on every run and for every parallelism.
func TestReduceSumDeterministic(t *testing.T) {
	dims := []int{64, 16, 16, 16}
	r := rand.New(rand.NewPCG(9, 10))
	data := make([]float64, numel(dims))
	for i := range data {
		data[i] = r.NormFloat64()
	}
	fn := func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
		s, err := b.ReduceSum(p[0], 0, 1, 2)
		if err != nil {
			return nil, err
		}
		return []compute.Value{s}, nil
	}
	ref := newSimpleGo(t)
	want, _ := runTyped(t, ref, dtypes.Float32, [][]int{dims}, [][]float64{data}, fn)
	var first []float64
	for i, config := range []string{"", "", "parallelism=2", "parallelism=3", "parallelism=4"} {
		got, plan := runTyped(t, newGofill(t, config), dtypes.Float32, [][]int{dims}, [][]float64{data}, fn)
		if plan != "R" {
			t.Fatalf("config %q: plan %q, want R", config, plan)
		}
		if i == 0 {
			first = got[0]
			for j := range want[0] {
				if d := math.Abs(got[0][j] - want[0][j]); d > 1e-3 {
					t.Fatalf("sum #%d = %g, SimpleGo %g", j, got[0][j], want[0][j])
				}
			}
			continue
		}
		if !slices.Equal(got[0], first) {
			t.Fatalf("config %q: result differs from the first run", config)
		}
	}
}

func TestBroadcastReduceErrors(t *testing.T) {
	be := newGofill(t, cpu.OptionFastKernelMin+"=0")
	b := be.Builder("g").Main()
	p, err := b.Parameter("p", shapes.Make(dtypes.Float32, 2, 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReduceSum(p, 2); err == nil || !strings.Contains(err.Error(), "ReduceSum") {
		t.Errorf("ReduceSum over axis 2 of a rank-2 value: error %v", err)
	}
	_, err = b.BroadcastInDim(p, shapes.Make(dtypes.Float32, 2, 4), []int{0, 1})
	if err == nil || !strings.Contains(err.Error(), "BroadcastInDim") || !strings.Contains(err.Error(), "(Float32)[2, 4]") {
		t.Errorf("BroadcastInDim [2 3] -> [2 4]: error %v", err)
	}
	if _, err := cpu.New(cpu.OptionFastKernelMin + "=lots"); err == nil || !strings.Contains(err.Error(), "lots") {
		t.Errorf("New with %s=lots: error %v", cpu.OptionFastKernelMin, err)
	}
}

// TestSignMatchSimpleGo: Sign as a kernel step gives the Go backend's bits,
// special values included, and Sign inside a graph cuts it only where its
// input comes from the open segment.
func TestSignMatchSimpleGo(t *testing.T) {
	ref := newSimpleGo(t)
	data := []float64{0, math.Copysign(0, -1), 1, -2.5, math.Inf(1), math.Inf(-1), math.NaN(), 1e-40, -1e-310, 3}
	r := rand.New(rand.NewPCG(13, 14))
	for range 5000 - len(data) {
		data = append(data, r.NormFloat64())
	}
	dims := []int{10, 500}
	fn := func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
		s1 := must(b.Sign(p[0]))                         // of a parameter: no cut
		d := must(b.Sub(p[0], s1))                       // opens a segment
		return []compute.Value{s1, must(b.Sign(d))}, nil // of the segment's value: cut
	}
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		want, _ := runTyped(t, ref, dt, [][]int{dims}, [][]float64{data}, fn)
		for config, wantPlan := range map[string]string{
			"":                                "GSG",
			cpu.OptionNoFastKernels:           "S",
			cpu.OptionFastKernelMin + "=5001": "S",
		} {
			got, plan := runTyped(t, newGofill(t, config), dt, [][]int{dims}, [][]float64{data}, fn)
			if plan != wantPlan {
				t.Errorf("%s %q: plan %q, want %q", dt, config, plan, wantPlan)
			}
			for i := range want {
				for j := range want[i] {
					if math.Float64bits(got[i][j]) != math.Float64bits(want[i][j]) {
						t.Fatalf("%s %q: output #%d [%d] (Sign of %g) = %g, want %g", dt, config, i, j, data[j], got[i][j], want[i][j])
					}
				}
			}
		}
	}
}

// TestFromBoolMatchSimpleGo: ConvertDType of a Bool mask to a float as a
// kernel step gives the Go backend's values, and the option turns it off.
func TestFromBoolMatchSimpleGo(t *testing.T) {
	ref := newSimpleGo(t)
	r := rand.New(rand.NewPCG(19, 20))
	dims := []int{4, 1250}
	data := make([]float64, numel(dims))
	for i := range data {
		data[i] = r.NormFloat64()
	}
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		fn := func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			zero := must(b.BroadcastInDim(must(b.Constant(typed(dt, []float64{0}))), shapes.Make(dt, dims...), nil))
			mask := must(b.GreaterThan(p[0], zero))
			m := must(b.ConvertDType(mask, dt)) // of the segment's mask: cut
			return []compute.Value{must(b.Mul(p[0], m))}, nil
		}
		want, _ := runTyped(t, ref, dt, [][]int{dims}, [][]float64{data}, fn)
		for config, wantPlan := range map[string]string{
			"":                      "SCE",
			cpu.OptionNoFastKernels: "S",
		} {
			got, plan := runTyped(t, newGofill(t, config), dt, [][]int{dims}, [][]float64{data}, fn)
			if plan != wantPlan {
				t.Errorf("%s %q: plan %q, want %q", dt, config, plan, wantPlan)
			}
			if !slices.Equal(got[0], want[0]) {
				t.Fatalf("%s %q: result differs from SimpleGo", dt, config)
			}
		}
	}
}

// specialPairs returns two inputs of n values: every pair of the special
// values first, then normal random values (seeded).
func specialPairs(special []float64, n int, seed uint64) (a, b []float64) {
	for _, x := range special {
		for _, y := range special {
			a, b = append(a, x), append(b, y)
		}
	}
	r := rand.New(rand.NewPCG(seed, seed+1))
	for len(a) < n {
		a, b = append(a, r.NormFloat64()), append(b, r.NormFloat64())
	}
	return a, b
}

// TestBinaryMatchSimpleGo: Mul and Max as kernel steps give the Go backend's
// values (special values included) for same-shape operands, a scalar on
// either side and one value used twice, and cut the graph only where an
// operand comes from the open segment.
func TestBinaryMatchSimpleGo(t *testing.T) {
	ref := newSimpleGo(t)
	dims := []int{10, 500}
	a, b := specialPairs([]float64{0, math.Copysign(0, -1), 1, -2.5, math.Inf(1), math.Inf(-1), math.NaN(), 1e-40, 3}, numel(dims), 23)
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		fn := func(bl compute.Function, p []compute.Value) ([]compute.Value, error) {
			zero := must(bl.Constant(typed(dt, []float64{0})))
			half := must(bl.Constant(typed(dt, []float64{-0.5})))
			m1 := must(bl.Max(p[0], p[1])) // of parameters: no cut
			m2 := must(bl.Max(zero, p[0])) // scalar first
			p1 := must(bl.Mul(p[0], p[1])) // no cut
			p2 := must(bl.Mul(p[1], p[1])) // one value twice
			d := must(bl.Sub(p[0], p[1]))  // opens a segment
			m3 := must(bl.Max(d, zero))    // of the segment's value: cut
			p3 := must(bl.Mul(m3, half))   // scalar second
			p4 := must(bl.Mul(must(bl.Reshape(p[0], 5000)), must(bl.Reshape(p[1], 5000))))
			return []compute.Value{m1, m2, p1, p2, m3, p3, p4}, nil
		}
		in := [][]int{dims, dims}
		data := [][]float64{a, b}
		want, _ := runTyped(t, ref, dt, in, data, fn)
		for config, wantPlan := range map[string]string{
			"":                                "EEEESEESE",
			cpu.OptionNoFastKernels:           "S",
			cpu.OptionFastKernelMin + "=5001": "S",
		} {
			got, plan := runTyped(t, newGofill(t, config), dt, in, data, fn)
			if plan != wantPlan {
				t.Errorf("%s %q: plan %q, want %q", dt, config, plan, wantPlan)
			}
			for i := range want {
				for j := range want[i] {
					g, w := got[i][j], want[i][j]
					if math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
						t.Fatalf("%s %q: output #%d [%d] (of %g, %g) = %g, want %g", dt, config, i, j, a[j], b[j], g, w)
					}
				}
			}
		}
	}
}

// TestMulSignMatchSimpleGo: a Mul of a value and a Sign step's output is
// one MulSign step with the Go backend's bits (special values on both sides),
// and the Sign step drops out of the plan unless something else uses it.
func TestMulSignMatchSimpleGo(t *testing.T) {
	ref := newSimpleGo(t)
	dims := []int{10, 500}
	a, b := specialPairs([]float64{0, math.Copysign(0, -1), 1, -2.5, math.Inf(1), math.Inf(-1), math.NaN(), 1e-40}, numel(dims), 25)
	fused := func(bl compute.Function, p []compute.Value) ([]compute.Value, error) {
		s := must(bl.Sign(p[1]))
		return []compute.Value{must(bl.Mul(p[0], s)), must(bl.Mul(s, p[0]))}, nil
	}
	shared := func(bl compute.Function, p []compute.Value) ([]compute.Value, error) {
		s := must(bl.Sign(p[1]))
		return []compute.Value{s, must(bl.Mul(p[0], s))}, nil
	}
	for _, dt := range []dtypes.DType{dtypes.Float32, dtypes.Float64} {
		for _, tc := range []struct {
			name string
			fn   graphFn
			plan string
		}{{"fused", fused, "EE"}, {"sign also an output", shared, "GE"}} {
			in := [][]int{dims, dims}
			data := [][]float64{a, b}
			want, _ := runTyped(t, ref, dt, in, data, tc.fn)
			got, plan := runTyped(t, newGofill(t, ""), dt, in, data, tc.fn)
			if plan != tc.plan {
				t.Errorf("%s %s: plan %q, want %q", dt, tc.name, plan, tc.plan)
			}
			for i := range want {
				for j := range want[i] {
					g, w := got[i][j], want[i][j]
					if math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
						t.Fatalf("%s %s: output #%d [%d] (of %g, %g) = %g, want %g", dt, tc.name, i, j, a[j], b[j], g, w)
					}
				}
			}
		}
	}
}
