package cpu_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/trgnas/trgnas/nas/backend/cpu"
)

// newGofill returns this package's backend with the given config, finalized
// when the test ends.
func newGofill(t testing.TB, config string) compute.Backend {
	t.Helper()
	be, err := cpu.New(config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(be.Finalize)
	return be
}

// newSimpleGo returns the plain Go backend, finalized when the test ends.
func newSimpleGo(t testing.TB) compute.Backend {
	t.Helper()
	be, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(be.Finalize)
	return be
}

// iota returns 1, 2, ..., n as float64 (no zeros, so fill values stand out).
func iota(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i + 1)
	}
	return v
}

// strides returns the row-major strides of dims.
func strides(dims []int) []int {
	s := make([]int, len(dims))
	acc := 1
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= dims[i]
	}
	return s
}

// refPad is a direct implementation of XLA's Pad semantics: output element
// o on an axis comes from input element (o-Start)/(Interior+1) when that
// divides exactly and is in range, else it is the fill value.
func refPad(x []float64, dims []int, fill float64, cfg []compute.PadAxis) ([]float64, []int) {
	full := make([]compute.PadAxis, len(dims))
	copy(full, cfg)
	outDims := make([]int, len(dims))
	size := 1
	for i, n := range dims {
		d := n
		if n > 0 {
			d = n + (n-1)*full[i].Interior
		}
		outDims[i] = d + full[i].Start + full[i].End
		size *= outDims[i]
	}
	out := make([]float64, size)
	inS, outS := strides(dims), strides(outDims)
	for o := range out {
		src, ok := 0, true
		for ax := range dims {
			c := (o / outS[ax]) % outDims[ax]
			p := c - full[ax].Start
			step := full[ax].Interior + 1
			if p < 0 || p%step != 0 || p/step >= dims[ax] {
				ok = false
				break
			}
			src += (p / step) * inS[ax]
		}
		if ok {
			out[o] = x[src]
		} else {
			out[o] = fill
		}
	}
	return out, outDims
}

func TestPad(t *testing.T) {
	b := newGofill(t, "")
	tests := []struct {
		dims []int
		cfg  []compute.PadAxis
	}{
		{[]int{4}, []compute.PadAxis{{Start: 2, End: 1}}},
		{[]int{4}, []compute.PadAxis{{Interior: 2}}},
		{[]int{4}, []compute.PadAxis{{Start: -1, End: -2}}},
		{[]int{4}, []compute.PadAxis{{Start: -3, End: 2, Interior: 1}}},
		{[]int{4}, []compute.PadAxis{{Start: 3, End: -5, Interior: 1}}},
		{[]int{4}, []compute.PadAxis{{Start: -6, End: 4}}},
		{[]int{1}, []compute.PadAxis{{Start: 1, End: 1, Interior: 3}}},
		{[]int{2, 3, 4}, []compute.PadAxis{{Start: 1}, {End: 2, Interior: 1}, {Start: -1, End: 1}}},
		{[]int{2, 3, 4}, []compute.PadAxis{{}, {Start: 2, End: 2}}},
		{[]int{2, 5, 5, 3}, []compute.PadAxis{{}, {Start: 3, End: 2, Interior: 1}, {Start: 1, End: 4, Interior: 1}, {}}},
		{[]int{3, 2}, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v%+v", tc.dims, tc.cfg), func(t *testing.T) {
			size := 1
			for _, d := range tc.dims {
				size *= d
			}
			x := iota(size)
			want, wantDims := refPad(x, tc.dims, -7, tc.cfg)
			got, err := graph.ExecOnce(b, func(x *graph.Node) *graph.Node {
				return graph.Pad(x, graph.Scalar(x.Graph(), dtypes.Float64, -7), tc.cfg...)
			}, tensors.FromFlatDataAndDimensions(x, tc.dims...))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape().Dimensions, wantDims) {
				t.Fatalf("shape %v, want %v", got.Shape().Dimensions, wantDims)
			}
			if flat := tensors.MustCopyFlatData[float64](got); !slices.Equal(flat, want) {
				t.Errorf("got  %v\nwant %v", flat, want)
			}
		})
	}
}

// TestPadNegativeUpstream checks whether the plain Go backend takes
// negative padding (a crop); while it does not, Pad crops with a Slice.
func TestPadNegativeUpstream(t *testing.T) {
	plain, err := gobackend.New("ops_sequential") // a panic stays in this goroutine
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Finalize()
	x := iota(4)
	want, _ := refPad(x, []int{4}, -7, []compute.PadAxis{{Start: -1, End: 2}})
	ok := func() (ok bool) {
		defer func() {
			if r := recover(); r != nil {
				t.Logf("plain Go backend: %v", r)
				ok = false
			}
		}()
		got, err := graph.ExecOnce(plain, func(x *graph.Node) *graph.Node {
			return graph.Pad(x, graph.Scalar(x.Graph(), dtypes.Float64, -7), compute.PadAxis{Start: -1, End: 2})
		}, tensors.FromFlatDataAndDimensions(x, 4))
		return err == nil && slices.Equal(tensors.MustCopyFlatData[float64](got), want)
	}()
	if ok {
		t.Log("the plain Go backend now takes negative padding: Pad's crop can go")
	}
}

func TestPadErrors(t *testing.T) {
	b := newGofill(t, "")
	tests := []struct {
		name    string
		fill    []float64
		cfg     []compute.PadAxis
		wantErr string
	}{
		{"negative interior", []float64{0}, []compute.PadAxis{{Interior: -1}}, "negative interior"},
		{"negative size", []float64{0}, []compute.PadAxis{{Start: -3, End: -2}}, "negative size"},
		{"too many axes", []float64{0}, []compute.PadAxis{{}, {}, {}}, "axes configured"},
		{"fill not scalar", []float64{0, 1}, []compute.PadAxis{{Start: 1}}, "scalar"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bld := b.Builder("pad").Main()
			x, err := bld.Parameter("x", shapes.Make(dtypes.Float64, 4, 2), nil)
			if err != nil {
				t.Fatal(err)
			}
			dims := []int{}
			if len(tc.fill) > 1 {
				dims = []int{len(tc.fill)}
			}
			fill, err := bld.Constant(tc.fill, dims...)
			if err != nil {
				t.Fatal(err)
			}
			_, err = bld.Pad(x, fill, tc.cfg...)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func refReverse(x []float64, dims []int, axes []int) []float64 {
	out := make([]float64, len(x))
	s := strides(dims)
	for o := range out {
		src := 0
		for ax := range dims {
			c := (o / s[ax]) % dims[ax]
			if slices.Contains(axes, ax) {
				c = dims[ax] - 1 - c
			}
			src += c * s[ax]
		}
		out[o] = x[src]
	}
	return out
}

func TestReverse(t *testing.T) {
	b := newGofill(t, "")
	tests := []struct {
		dims []int
		axes []int
	}{
		{[]int{5}, []int{0}},
		{[]int{2, 3, 4}, []int{1}},
		{[]int{2, 3, 4}, []int{0, 2}},
		{[]int{2, 3, 4}, []int{0, 1, 2}},
		{[]int{2, 3, 4}, nil},
		{[]int{7, 7, 1, 3}, []int{0, 1}},
		{[]int{1, 3}, []int{0}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v%v", tc.dims, tc.axes), func(t *testing.T) {
			size := 1
			for _, d := range tc.dims {
				size *= d
			}
			x := iota(size)
			got, err := graph.ExecOnce(b, func(x *graph.Node) *graph.Node {
				return graph.Reverse(x, tc.axes...)
			}, tensors.FromFlatDataAndDimensions(x, tc.dims...))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Shape().Dimensions, tc.dims) {
				t.Fatalf("shape %v, want %v", got.Shape().Dimensions, tc.dims)
			}
			if flat, want := tensors.MustCopyFlatData[float64](got), refReverse(x, tc.dims, tc.axes); !slices.Equal(flat, want) {
				t.Errorf("got  %v\nwant %v", flat, want)
			}
		})
	}
	bld := b.Builder("reverse").Main()
	x, err := bld.Parameter("x", shapes.Make(dtypes.Float64, 4, 2), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bld.Reverse(x, 2); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("Reverse axis 2 of rank 2: error %v, want out of range", err)
	}
}

// TestConvGeneralDefaults checks that nil strides and dilations act as 1 and
// give what explicit ones give.
func TestConvGeneralDefaults(t *testing.T) {
	b := newGofill(t, "")
	axes := compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	run := func(strides, dil []int) []float64 {
		t.Helper()
		bld := b.Builder("conv").Main()
		x, err := bld.Constant(iota(2*5*5*2), 2, 5, 5, 2)
		if err != nil {
			t.Fatal(err)
		}
		k, err := bld.Constant(iota(3*3*2*4), 3, 3, 2, 4)
		if err != nil {
			t.Fatal(err)
		}
		y, err := bld.ConvGeneral(x, k, axes, strides, [][2]int{{1, 1}, {1, 1}}, dil, dil, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		exe, err := compile(bld, []compute.Value{y})
		if err != nil {
			t.Fatal(err)
		}
		out, err := exe.Execute(nil, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		flat := make([]float64, 2*5*5*4)
		if err := out[0].ToFlatData(flat); err != nil {
			t.Fatal(err)
		}
		return flat
	}
	explicit := run([]int{1, 1}, []int{1, 1})
	if got := run(nil, nil); !slices.Equal(got, explicit) {
		t.Errorf("nil strides/dilations differ from explicit 1s")
	}
	if got := run([]int{0, 0}, []int{0, 0}); !slices.Equal(got, explicit) {
		t.Errorf("zero strides/dilations differ from explicit 1s")
	}
}

// The backend is registered with compute under its own name.
func TestRegistered(t *testing.T) {
	b, err := compute.NewWithConfig(cpu.Name)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	if b.String() != cpu.Name {
		t.Errorf("String() = %q, want %q", b.String(), cpu.Name)
	}
}

// compile returns the main function fn with outs and compiles its builder.
func compile(fn compute.Function, outs []compute.Value) (compute.Executable, error) {
	if err := fn.Return(outs, nil); err != nil {
		return nil, err
	}
	return fn.Builder().Compile()
}
