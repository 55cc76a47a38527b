package train_test

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/trgnas/trgnas/nas/train"
)

// TestSGDSteps runs two optimizer steps on loss = sum(c * w), whose
// gradient is c, and compares with values worked out by hand from PyTorch's
// clip_grad_norm_ + SGD(momentum, weight_decay) rules.
func TestSGDSteps(t *testing.T) {
	backend := testBackend(t)
	tests := []struct {
		name         string
		opt          train.SGD
		c            []float32
		lr           float64
		step1, step2 []float64 // w after each step, from w0 = [1, -2]
	}{
		{
			// norm 50 -> g scaled by 5/(50+1e-6) to [3, 4];
			// d1 = [3, 4] + 0.01*[1, -2] = [3.01, 3.98]; w1 = w0 - 0.1*d1.
			// d2 = [3, 4] + 0.01*w1 = [3.00699, 3.97602]; buf2 = 0.9*d1 + d2 = [5.71599, 7.55802].
			name: "clipped", opt: train.SGD{Momentum: 0.9, WeightDecay: 0.01, ClipNorm: 5},
			c: []float32{30, 40}, lr: 0.1,
			step1: []float64{0.699, -2.398}, step2: []float64{0.127401, -3.153802},
		},
		{
			// norm 0.5 < 5: not clipped. d1 = [0.31, 0.38]; w1 = [0.969, -2.038].
			// d2 = [0.3, 0.4] + 0.01*w1 = [0.30969, 0.37962]; buf2 = 0.9*d1 + d2 = [0.58869, 0.72162].
			name: "under the norm", opt: train.SGD{Momentum: 0.9, WeightDecay: 0.01, ClipNorm: 5},
			c: []float32{0.3, 0.4}, lr: 0.1,
			step1: []float64{0.969, -2.038}, step2: []float64{0.9101310, -2.110162},
		},
		{
			// clipping off: d1 = [30.01, 39.98]; w1 = [-2.001, -5.998];
			// d2 = [30, 40] + 0.01*w1 = [29.97999, 39.94002]; buf2 = [56.98899, 75.92202].
			name: "no clipping", opt: train.SGD{Momentum: 0.9, WeightDecay: 0.01},
			c: []float32{30, 40}, lr: 0.1,
			step1: []float64{-2.001, -5.998}, step2: []float64{-7.699899, -13.590202},
		},
		{
			// plain SGD: w1 = w0 - 0.5*[3, 4]; w2 = w1 - 0.5*[3, 4].
			name: "plain", opt: train.SGD{ClipNorm: 5},
			c: []float32{30, 40}, lr: 0.5,
			step1: []float64{-0.5, -4}, step2: []float64{-2, -6},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := model.NewStore()
			if err := train.SetLR(store, tc.lr); err != nil {
				t.Fatal(err)
			}
			exec, err := model.NewExec(backend, store, func(scope *model.Scope, g *graph.Graph) *graph.Node {
				w := scope.VariableWithValue("w", []float32{1, -2})
				frozen := scope.VariableWithValue("frozen", []float32{7}).SetTrainable(false)
				loss := graph.ReduceAllSum(graph.Mul(w.NodeValue(g), graph.Const(g, tc.c)))
				loss = graph.Add(loss, graph.ReduceAllSum(frozen.NodeValue(g)))
				tc.opt.UpdateGraph(scope, g, loss)
				return loss
			})
			if err != nil {
				t.Fatal(err)
			}
			for step, want := range [][]float64{tc.step1, tc.step2} {
				if _, err := exec.Call(); err != nil {
					t.Fatal(err)
				}
				got := store.GetVariable("/w").MustValue().Value().([]float32)
				for i := range want {
					if math.Abs(float64(got[i])-want[i]) > 2e-5 {
						t.Errorf("step %d: w = %v, want %v", step+1, got, want)
						break
					}
				}
			}
			if f := store.GetVariable("/frozen").MustValue().Value().([]float32); f[0] != 7 {
				t.Errorf("non-trainable variable changed to %v", f)
			}
		})
	}
}

func TestSGDClear(t *testing.T) {
	backend := testBackend(t)
	store := model.NewStore()
	if err := train.SetLR(store, 0.1); err != nil {
		t.Fatal(err)
	}
	opt := train.SGD{Momentum: 0.9}
	exec, err := model.NewExec(backend, store, func(scope *model.Scope, g *graph.Graph) *graph.Node {
		w := scope.In("layer").VariableWithValue("w", []float32{1})
		loss := graph.ReduceAllSum(w.NodeValue(g))
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Call(); err != nil {
		t.Fatal(err)
	}
	buf := store.GetVariable("/optimizers/sgd/layer/w")
	if buf == nil {
		t.Fatal("no momentum buffer at /optimizers/sgd/layer/w")
	}
	if v := buf.MustValue().Value().([]float32); v[0] != 1 {
		t.Errorf("momentum buffer after one step = %v, want [1]", v)
	}
	if err := opt.Clear(store.RootScope()); err != nil {
		t.Fatal(err)
	}
	if store.GetVariable("/optimizers/sgd/layer/w") != nil {
		t.Error("Clear left the momentum buffer")
	}
}
