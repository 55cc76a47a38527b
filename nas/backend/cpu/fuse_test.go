package cpu_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
)

// TestFusedEpilogue: batch normalization for inference, and a Max with a
// constant after it, run in the epilogue of the convolution before them
// (no batch normalization or Max step is left in the plan), with the same bits
// as the separate steps of "nofuse": a 3x3 convolution, a 1x1 one whose
// normalized output takes a non-zero maximum, and a convolution whose
// output is also a graph output (the plain step stays for it).
func TestFusedEpilogue(t *testing.T) {
	in := normalInputs(rand.New(rand.NewPCG(3, 4)))
	ins := []input{in(4, 8, 8, 5), in(3, 3, 5, 24), in(24), in(24), in(24), positive(in(24)),
		in(1, 1, 24, 40), in(40), in(40), in(40), positive(in(40))}
	fn := func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
		c1 := conv2d(b, p[0], p[1], 1, 1)
		y1, err := b.BatchNormForInference(c1, p[2], p[3], p[4], p[5], 1e-5, 3)
		if err != nil {
			return nil, err
		}
		r1 := must(b.Max(y1, scalar(b, 0)))
		y2, err := b.BatchNormForInference(conv2d(b, r1, p[6], 1, 0), p[7], p[8], p[9], p[10], 1e-3, 3)
		if err != nil {
			return nil, err
		}
		r2 := must(b.Max(scalar(b, 0.1), y2))
		c3 := conv2d(b, p[0], p[1], 2, 1)
		y3, err := b.BatchNormForInference(c3, p[2], p[3], p[4], p[5], 1e-5, 3)
		if err != nil {
			return nil, err
		}
		return []compute.Value{r1, r2, y3, c3}, nil
	}
	got, plan := run(t, newGofill(t, ""), fn, ins, nil)
	want, planSep := run(t, newGofill(t, "nofuse"), fn, ins, nil)
	if strings.ContainsAny(plan, "NE") || !strings.Contains(planSep, "N") || !strings.Contains(planSep, "E") {
		t.Errorf("plans %q (fused) and %q (nofuse): want batch normalization and Max steps in the second only", plan, planSep)
	}
	t.Logf("plans: fused %q, nofuse %q", plan, planSep)
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("output #%d: fused and separate steps give other bits", i)
		}
	}
	var negatives int
	for _, v := range got[0] {
		if v < 0 {
			negatives++
		}
	}
	if negatives > 0 {
		t.Errorf("output #0 has %d negative values after the fused ReLU", negatives)
	}
}

// depthwise2d is a depthwise convolution of x [n,h,w,c] with k [kh,kw,1,c].
func depthwise2d(b compute.Function, x, k compute.Value, c, stride, pad int) compute.Value {
	axes := compute.ConvolveAxesConfig{
		InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	return must(b.ConvGeneral(x, k, axes, []int{stride, stride}, [][2]int{{pad, pad}, {pad, pad}},
		[]int{1, 1}, []int{1, 1}, c, 1))
}

// TestFusedSeparable: a depthwise convolution whose output only a
// pointwise one reads runs with it as one step (conv.RunSeparable),
// batch normalization and Max in its epilogue, with the bits of the
// separate steps of "nofuse"; a depthwise output that is also a graph
// output, or that another op reads (as the kernel gradient does in
// training), keeps its own step.
func TestFusedSeparable(t *testing.T) {
	in := normalInputs(rand.New(rand.NewPCG(5, 6)))
	ins := []input{in(3, 10, 10, 16), in(3, 3, 1, 16), in(1, 1, 16, 24), in(24), in(24), in(24), positive(in(24)),
		in(5, 5, 1, 24), in(1, 1, 24, 32)}
	sepConv := func(b compute.Function, p []compute.Value) (compute.Value, error) {
		y, err := b.BatchNormForInference(conv2d(b, depthwise2d(b, p[0], p[1], 16, 1, 1), p[2], 1, 0), p[3], p[4], p[5], p[6], 1e-5, 3)
		if err != nil {
			return nil, err
		}
		return b.Max(y, scalar(b, 0))
	}
	cases := []struct {
		name   string
		fn     graphFn
		joined int // depthwise steps joined to their pointwise one
	}{
		{"two separable layers", func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			y, err := sepConv(b, p)
			if err != nil {
				return nil, err
			}
			return []compute.Value{conv2d(b, depthwise2d(b, y, p[7], 24, 2, 2), p[8], 1, 0)}, nil
		}, 2},
		{"depthwise output returned", func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			d := depthwise2d(b, p[0], p[1], 16, 1, 1)
			return []compute.Value{conv2d(b, d, p[2], 1, 0), d}, nil
		}, 0},
		{"depthwise output read twice", func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			d := depthwise2d(b, p[0], p[1], 16, 1, 1)
			return []compute.Value{conv2d(b, d, p[2], 1, 0), must(b.Max(d, scalar(b, 0)))}, nil
		}, 0},
	}
	for _, c := range cases {
		got, plan := run(t, newGofill(t, ""), c.fn, ins, nil)
		want, planSep := run(t, newGofill(t, "nofuse"), c.fn, ins, nil)
		if d := strings.Count(planSep, "K") - strings.Count(plan, "K") - strings.Count(plan, "D"); d != c.joined || strings.Count(plan, "D") != c.joined {
			t.Errorf("%s: plans %q (fused) and %q (nofuse): want %d joined steps (D), each one convolution step fewer", c.name, plan, planSep, c.joined)
		}
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%s: output #%d: fused and separate steps give other bits", c.name, i)
			}
		}
	}
}

// normalInputs returns a maker of inputs of the given dimensions with
// standard normal values from r.
func normalInputs(r *rand.Rand) func(dims ...int) input {
	return func(dims ...int) input {
		n := 1
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return input{dims: dims, data: v}
	}
}

// positive makes x's values positive (0.5 + v*v), as variances are.
func positive(x input) input {
	for i, v := range x.data {
		x.data[i] = 0.5 + v*v
	}
	return x
}

// TestFusedNormReLU: in a training graph, the ReLU's Max after a batch
// normalization step and the product of its gradient before the gradient
// step run inside those steps (two element-wise steps fewer than with
// "nofuse"), with the same bits; a normalized output that is also a graph
// output keeps its Max step, and a gradient that something else reads too
// keeps its product.
func TestFusedNormReLU(t *testing.T) {
	in := normalInputs(rand.New(rand.NewPCG(7, 8)))
	ins := []input{in(4, 9, 9, 24), in(24), in(24), in(4, 9, 9, 24)}
	layer := func(b compute.Function, p []compute.Value, extra func(y, gy compute.Value) []compute.Value) ([]compute.Value, error) {
		y, mean, variance, err := b.BatchNormForTraining(p[0], p[1], p[2], 1e-5, 3)
		if err != nil {
			return nil, err
		}
		r := must(b.Max(y, scalar(b, 0)))
		gy := must(b.Mul(p[3], must(b.Sign(r))))
		gx, gs, gb, err := b.BatchNormGradient(p[0], p[1], mean, variance, gy, 1e-5, 3)
		if err != nil {
			return nil, err
		}
		return append([]compute.Value{r, mean, variance, gx, gs, gb}, extra(y, gy)...), nil
	}
	cases := []struct {
		name   string
		extra  func(y, gy compute.Value) []compute.Value
		joined int
	}{
		{"layer", func(y, gy compute.Value) []compute.Value { return nil }, 2},
		{"normalized output returned", func(y, gy compute.Value) []compute.Value { return []compute.Value{y} }, 1},
		{"gradient returned", func(y, gy compute.Value) []compute.Value { return []compute.Value{gy} }, 1},
	}
	for _, c := range cases {
		fn := func(b compute.Function, p []compute.Value) ([]compute.Value, error) { return layer(b, p, c.extra) }
		got, plan := run(t, newGofill(t, ""), fn, ins, nil)
		want, planSep := run(t, newGofill(t, "nofuse"), fn, ins, nil)
		if d := strings.Count(planSep, "E") - strings.Count(plan, "E"); d != c.joined || strings.Count(plan, "N") != 2 {
			t.Errorf("%s: plans %q (fused) and %q (nofuse): want %d element-wise steps fewer, two batch normalization steps", c.name, plan, planSep, c.joined)
		}
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%s: output #%d: fused and separate steps give other bits", c.name, i)
			}
		}
	}
}
