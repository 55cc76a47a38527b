package cpu_test

import (
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// TestBatchNormSteps runs the three batch normalization ops in one graph
// between segments (plan "SNS..."), against values computed by hand.
func TestBatchNormSteps(t *testing.T) {
	be := newGofill(t, "")
	// x [2,1,2]: feature axis 2 (two features), values per feature {1,3} and {2,6}.
	x := input{dims: []int{2, 1, 2}, data: []float32{1, 2, 3, 6}}
	vec := func(a, b float32) input { return input{dims: []int{2}, data: []float32{a, b}} }
	gy := input{dims: []int{2, 1, 2}, data: []float32{1, 0, 0, 1}}
	fn := func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
		xs := must(b.Mul(p[0], scalarLike(b, p[0], 1))) // a segment before
		y, mean, variance, err := b.BatchNormForTraining(xs, p[1], p[2], 0, 2)
		if err != nil {
			return nil, err
		}
		gx, gs, g0, err := b.BatchNormGradient(xs, p[1], mean, variance, p[3], 0, 2)
		if err != nil {
			return nil, err
		}
		inf, err := b.BatchNormForInference(xs, p[1], p[2], mean, variance, 0, 2)
		if err != nil {
			return nil, err
		}
		return []compute.Value{y, mean, variance, gx, gs, g0, must(b.Sub(inf, y))}, nil
	}
	got, plan := run(t, be, fn, []input{x, vec(2, 1), vec(0.5, -1), gy}, nil)
	if !strings.Contains(plan, "N") {
		t.Errorf("plan %q has no batch normalization step", plan)
	}
	// Feature 0: mean 2, variance 1, xhat {-1, 1}; feature 1: mean 4, variance 4, xhat {-1, 1}.
	// gy per feature: {1, 0} and {0, 1}: sum 1, sum(gy*xhat) -1 and 1.
	// gx = scale/sd * (gy - 1/2 - xhat*sum(gy*xhat)/2).
	want := [][]float32{
		{2*-1 + 0.5, 1*-1 - 1, 2*1 + 0.5, 1*1 - 1}, // y
		{2, 4}, {1, 4}, // mean, variance
		{2 * (1 - 0.5 - 0.5), 0.5 * (0 - 0.5 + 0.5), 2 * (0 - 0.5 + 0.5), 0.5 * (1 - 0.5 - 0.5)}, // gx
		{-1, 1}, {1, 1}, // gscale, goffset
		{0, 0, 0, 0}, // inference with the batch statistics equals training
	}
	compare(t, "batch norm", got, want, 1e-6)
}

// scalarLike broadcasts the float32 constant v to the shape of x.
func scalarLike(b compute.Function, x compute.Value, v float32) compute.Value {
	return broadcastTo(b, scalar(b, v), x)
}

func TestBatchNormStepErrors(t *testing.T) {
	be := newGofill(t, "")
	b := be.Builder("errors").Main()
	p := func(name string, dt dtypes.DType, dims ...int) compute.Value {
		return must(b.Parameter(name, shapes.Make(dt, dims...), nil))
	}
	x := p("x", dtypes.Float32, 2, 3)
	scale, offset := p("scale", dtypes.Float32, 3), p("offset", dtypes.Float32, 3)
	short := p("short", dtypes.Float32, 2)
	half := p("half", dtypes.Float16, 2, 3)
	for _, tc := range []struct {
		name, want string
		err        func() error
	}{
		{"short scale", "operand #1 is (Float32)[2], want (Float32)[3]", func() error {
			_, _, _, err := b.BatchNormForTraining(x, short, offset, 1e-5, 1)
			return err
		}},
		{"feature axis", "feature axis 2 out of range", func() error {
			_, _, _, err := b.BatchNormForTraining(x, scale, offset, 1e-5, 2)
			return err
		}},
		{"dtype", "only float32 and float64", func() error {
			_, err := b.BatchNormForInference(half, scale, offset, scale, scale, 1e-5, 1)
			return err
		}},
		{"gradient shape", "operand #4 is (Float32)[3], want (Float32)[2, 3]", func() error {
			_, _, _, err := b.BatchNormGradient(x, scale, scale, scale, scale, 1e-5, 1)
			return err
		}},
	} {
		if err := tc.err(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}
