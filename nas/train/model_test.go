package train_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/train"
)

// buildModel builds m's logits graph for a batch of 2 and returns the
// model store and the logits shape.
func buildModel(t *testing.T, m train.Model, training bool) (*model.Store, shapes.Shape) {
	t.Helper()
	store := model.NewStore()
	g := graph.NewGraph(testBackend(t), "model")
	x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 2, m.H, m.W, m.C))
	logits := m.Logits(store.RootScope(), x, training)
	return store, logits.Shape()
}

// TestEvalGraphWithoutGradientOps: the evaluation graph has none of the
// custom-gradient identities of package layers (their packing keeps each
// convolution's input alive in the graph), the training graph has them.
func TestEvalGraphWithoutGradientOps(t *testing.T) {
	m := train.Model{Arch: nas.Arch{Width: 4, Ops: []int{0, 1, 0}, Kernels: []int{3, 5, 3}}, H: 8, W: 8, C: 1, Classes: 3}
	for _, training := range []bool{true, false} {
		g := graph.NewGraph(testBackend(t), "model")
		x := graph.Parameter(g, "x", shapes.Make(dtypes.Float32, 2, m.H, m.W, m.C))
		m.Logits(model.NewStore().RootScope(), x, training)
		custom := 0
		for _, n := range g.Nodes() {
			if n.CustomGradient() != nil {
				custom++
			}
		}
		if training && custom == 0 {
			t.Error("training graph: no custom gradient")
		}
		if !training && custom > 0 {
			t.Errorf("evaluation graph: %d custom gradients, want none", custom)
		}
	}
}

func TestModelParamsMatchArch(t *testing.T) {
	tests := []struct {
		name string
		m    train.Model
	}{
		{"sepconv depth 3", train.Model{Arch: nas.Uniform(4, 3, nas.OpSepConv, 3), H: 8, W: 8, C: 1, Classes: 4}},
		{"conv depth 2 k5", train.Model{Arch: nas.Uniform(6, 2, nas.OpConv, 5), H: 8, W: 8, C: 3, Classes: 10}},
		{"mixed depth 6", train.Model{Arch: nas.Arch{Width: 8, Ops: []int{1, 0, 1, 0, 0, 1}, Kernels: []int{3, 5, 7, 3, 7, 5}}, H: 16, W: 12, C: 3, Classes: 10}},
		{"depth 1", train.Model{Arch: nas.Uniform(5, 1, nas.OpSepConv, 7), H: 4, W: 4, C: 2, Classes: 3}},
		{"published C72 L10", train.Model{Arch: nas.Uniform(72, 10, nas.OpSepConv, 3), H: 8, W: 8, C: 3, Classes: 10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, training := range []bool{true, false} {
				store, shape := buildModel(t, tc.m, training)
				if got, want := train.TrainableParams(store), tc.m.Params(); got != want {
					t.Errorf("training=%v: trainable parameters %d, Arch.Params %d", training, got, want)
				}
				if want := shapes.Make(dtypes.Float32, 2, tc.m.Classes); !shape.Equal(want) {
					t.Errorf("logits shape %s, want %s", shape, want)
				}
			}
		})
	}
	// The published log's first candidate: 388,450 parameters.
	m := train.Model{Arch: nas.Uniform(72, 10, nas.OpSepConv, 3), H: 32, W: 32, C: 3, Classes: 10}
	if m.Params() != 388450 {
		t.Errorf("C72 L10 params %d, want 388450", m.Params())
	}
}

// TestModelInit checks PyTorch's default initialisation bounds and that the
// values depend only on the seed.
func TestModelInit(t *testing.T) {
	m := train.Model{Arch: nas.Arch{Width: 4, Ops: []int{0, 1}, Kernels: []int{3, 5}}, H: 8, W: 8, C: 3, Classes: 5, Seed: 7}
	store, _ := buildModel(t, m, true)
	store2, _ := buildModel(t, m, true)
	m.Seed = 8
	store3, _ := buildModel(t, m, true)
	// fan_in per variable: stem 3*3*3, layer 0 depthwise 3*3 (groups = in),
	// pointwise 8, layer 1 conv 8*5*5... (layer 1 is stride 2 and doubles: in 8).
	bounds := map[string]float64{
		"/stem/conv":           1 / math.Sqrt(27),
		"/layer_000/depthwise": 1 / 3.0,
		"/layer_000/pointwise": 1 / math.Sqrt(8),
		"/layer_001/conv":      1 / math.Sqrt(8*25),
		"/head/weights":        1 / math.Sqrt(16),
		"/head/biases":         1 / math.Sqrt(16),
	}
	for name, bound := range bounds {
		v := store.GetVariable(name)
		if v == nil {
			t.Fatalf("no variable %s", name)
		}
		vals := v.MustValue().Value()
		flat := flatten(vals)
		var maxAbs, sumAbs float64
		for _, x := range flat {
			maxAbs = math.Max(maxAbs, math.Abs(float64(x)))
			sumAbs += math.Abs(float64(x))
		}
		if maxAbs > bound {
			t.Errorf("%s: max |w| %g above bound %g", name, maxAbs, bound)
		}
		if len(flat) >= 40 && sumAbs/float64(len(flat)) < bound/4 {
			t.Errorf("%s: mean |w| %g, want about %g for U(-b, b)", name, sumAbs/float64(len(flat)), bound/2)
		}
		same := flatten(store2.GetVariable(name).MustValue().Value())
		other := flatten(store3.GetVariable(name).MustValue().Value())
		if !equalF32(flat, same) {
			t.Errorf("%s: same seed gave different values", name)
		}
		if equalF32(flat, other) {
			t.Errorf("%s: different seeds gave the same values", name)
		}
	}
}

func flatten(v any) []float32 {
	switch x := v.(type) {
	case []float32:
		return x
	case [][]float32:
		var out []float32
		for _, r := range x {
			out = append(out, r...)
		}
		return out
	case [][][][]float32:
		var out []float32
		for _, a := range x {
			for _, b := range a {
				for _, c := range b {
					out = append(out, c...)
				}
			}
		}
		return out
	}
	panic("unexpected type")
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestModelValidate(t *testing.T) {
	ok := train.Model{Arch: nas.Uniform(4, 3, nas.OpSepConv, 3), H: 4, W: 4, C: 1, Classes: 2}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid model: %v", err)
	}
	tests := []struct {
		name    string
		edit    func(*train.Model)
		wantErr error
		want    string
	}{
		{"too small", func(m *train.Model) { m.H = 3 }, train.ErrInputTooSmall, "input 3x4, 2 stride-2 layers need at least 4x4"},
		{"one downsample", func(m *train.Model) { m.Arch = nas.Uniform(4, 1, 0, 3); m.W = 1 }, train.ErrInputTooSmall, "1 stride-2 layers need at least 2x2"},
		{"bad arch", func(m *train.Model) { m.Arch.Kernels[1] = 4 }, nas.ErrInvalidArch, "kernels[1] = 4"},
		{"zero channels", func(m *train.Model) { m.C = 0 }, nil, "input shape 4x4x0"},
		{"one class", func(m *train.Model) { m.Classes = 1 }, nil, "classes 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := ok
			m.Arch = ok.Arch.Clone()
			tc.edit(&m)
			err := m.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func ExampleModel_Validate() {
	m := train.Model{Arch: nas.Uniform(16, 10, nas.OpSepConv, 3), H: 3, W: 3, C: 1, Classes: 10}
	fmt.Println(m.Validate())
	m.H, m.W = 28, 28
	fmt.Println(m.Validate(), m.Params(), m.MACs())
	// Output:
	// input too small for the network: input 3x3, 2 stride-2 layers need at least 4x4
	// <nil> 23034 2924960
}
