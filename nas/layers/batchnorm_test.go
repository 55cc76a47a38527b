package layers_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"

	"github.com/trgnas/trgnas/nas/backend/cpu"
	"github.com/trgnas/trgnas/nas/layers"
)

const bnN, bnH, bnW, bnC = 2, 5, 4, 3

// refBatchStats returns per-channel mean and biased variance of x [N,H,W,C].
func refBatchStats(x []float64, c int) (mean, variance []float64) {
	n := len(x) / c
	mean, variance = make([]float64, c), make([]float64, c)
	for i, v := range x {
		mean[i%c] += v / float64(n)
	}
	for i, v := range x {
		d := v - mean[i%c]
		variance[i%c] += d * d / float64(n)
	}
	return mean, variance
}

func refNormalize(x, mean, variance, scale, offset []float64) []float64 {
	c := len(mean)
	y := make([]float64, len(x))
	for i, v := range x {
		ch := i % c
		y[i] = (v-mean[ch])/math.Sqrt(variance[ch]+1e-5)*scale[ch] + offset[ch]
	}
	return y
}

// bnStore returns a store whose scope "/bn" holds the BatchNorm variables
// with the given values.
func bnStore(t *testing.T, scale, offset, runMean, runVar []float64) *model.Store {
	t.Helper()
	store := model.NewStore()
	for name, value := range map[string][]float64{
		layers.BatchNormScale: scale, layers.BatchNormOffset: offset,
		layers.BatchNormRunningMean: runMean, layers.BatchNormRunningVar: runVar,
	} {
		v, err := store.CreateVariable(bnPath(name), tensors.FromValue(value))
		if err != nil {
			t.Fatal(err)
		}
		v.SetTrainable(name == layers.BatchNormScale || name == layers.BatchNormOffset)
	}
	return store
}

// bnPath is the full path of the BatchNorm variable name in scope "/bn".
func bnPath(name string) string { return model.JoinPath("/bn", name) }

func varValue(t *testing.T, store *model.Store, name string) []float64 {
	t.Helper()
	v := store.GetVariable(bnPath(name))
	if v == nil {
		t.Fatalf("variable %q not found", name)
	}
	val, err := v.Value()
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float64](val)
}

func assertClose(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !closeTo(got[i], want[i], tol) {
			t.Fatalf("%s[%d] = %.12g, want %.12g", what, i, got[i], want[i])
		}
	}
}

// eachBatchNorm runs test on the CPU backend with its batch normalization
// ops and on the CPU backend without them (the plain-op BatchNorm).
func eachBatchNorm(t *testing.T, test func(*testing.T, compute.Backend)) {
	for _, cfg := range []string{"", cpu.OptionNoBatchNorm} {
		t.Run("config="+cfg, func(t *testing.T) {
			b, err := cpu.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Finalize()
			if got := b.Capabilities().Operations[compute.OpTypeBatchNormForTraining]; got != (cfg == "") {
				t.Fatalf("config %q: BatchNormForTraining capability %v", cfg, got)
			}
			test(t, b)
		})
	}
}

// TestBatchNormUsesBackendOps checks that BatchNorm builds the backend's
// batch normalization ops exactly when the backend lists them: in training
// BatchNormForTraining (and, for the gradient, BatchNormGradient), in
// inference BatchNormForInference; otherwise none of them.
func TestBatchNormUsesBackendOps(t *testing.T) {
	b := newBackend(t)
	ops := b.Capabilities().Operations
	dims := []int{bnN, bnH, bnW, bnC}
	x := tensors.FromFlatDataAndDimensions(randn(rand.New(rand.NewPCG(2, 3)), prod(dims)), dims...)
	count := func(training bool) map[graph.NodeType]int {
		store := model.NewStore()
		exec := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			y := layers.BatchNorm(scope.In("bn"), x, training)
			if !training {
				return y
			}
			return graph.Gradient(graph.ReduceAllSum(graph.Square(y)), x)[0]
		})
		_, g, err := exec.CallWithGraph(x)
		if err != nil {
			t.Fatal(err)
		}
		n := map[graph.NodeType]int{}
		for _, node := range g.Nodes() {
			n[node.Type()]++
		}
		return n
	}
	bool01 := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	train, infer := count(true), count(false)
	withTraining := ops[compute.OpTypeBatchNormForTraining] && ops[compute.OpTypeBatchNormGradient]
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"training: BatchNormForTraining", train[graph.NodeTypeBatchNormForTraining], bool01(withTraining)},
		{"training: BatchNormGradient", train[graph.NodeTypeBatchNormGradient], bool01(withTraining)},
		{"training: BatchNormForInference", train[graph.NodeTypeBatchNormForInference], 0},
		{"inference: BatchNormForInference", infer[graph.NodeTypeBatchNormForInference], bool01(ops[compute.OpTypeBatchNormForInference])},
		{"inference: BatchNormForTraining", infer[graph.NodeTypeBatchNormForTraining], 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d nodes, want %d (backend %s)", c.what, c.got, c.want, b.Name())
		}
	}
}

func TestBatchNormTraining(t *testing.T) { eachBatchNorm(t, testBatchNormTraining) }

func testBatchNormTraining(t *testing.T, b compute.Backend) {
	rng := rand.New(rand.NewPCG(3, 4))
	scale, offset := []float64{1.5, -0.5, 2}, []float64{0.1, 0.2, -0.3}
	store := bnStore(t, scale, offset, []float64{0, 0, 0}, []float64{1, 1, 1})
	exec := model.MustNewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return layers.BatchNorm(scope.In("bn"), x, true)
	})
	n := float64(bnN * bnH * bnW)
	runMean, runVar := []float64{0, 0, 0}, []float64{1, 1, 1}
	for range 3 {
		x := randn(rng, bnN*bnH*bnW*bnC)
		for i := range x {
			x[i] = 3*x[i] + float64(i%bnC) // channel-dependent mean and variance
		}
		out, err := exec.Call1(tensors.FromFlatDataAndDimensions(x, bnN, bnH, bnW, bnC))
		if err != nil {
			t.Fatal(err)
		}
		mean, variance := refBatchStats(x, bnC)
		assertClose(t, "y", tensors.MustCopyFlatData[float64](out), refNormalize(x, mean, variance, scale, offset), 1e-12)
		for ch := range bnC {
			runMean[ch] = 0.9*runMean[ch] + 0.1*mean[ch]
			runVar[ch] = 0.9*runVar[ch] + 0.1*variance[ch]*n/(n-1)
		}
		assertClose(t, "running_mean", varValue(t, store, layers.BatchNormRunningMean), runMean, 1e-12)
		assertClose(t, "running_var", varValue(t, store, layers.BatchNormRunningVar), runVar, 1e-12)
	}
	// Scale and offset are trainable, the running statistics are not.
	for name, want := range map[string]bool{
		layers.BatchNormScale: true, layers.BatchNormOffset: true,
		layers.BatchNormRunningMean: false, layers.BatchNormRunningVar: false,
	} {
		if got := store.GetVariable(bnPath(name)).Trainable; got != want {
			t.Errorf("%s trainable = %v, want %v", name, got, want)
		}
	}
}

func TestBatchNormInference(t *testing.T) { eachBatchNorm(t, testBatchNormInference) }

func testBatchNormInference(t *testing.T, b compute.Backend) {
	rng := rand.New(rand.NewPCG(5, 6))
	scale, offset := []float64{0.5, 1, -2}, []float64{1, 0, 0.5}
	runMean, runVar := []float64{0.3, -1, 2}, []float64{0.5, 2, 4}
	store := bnStore(t, scale, offset, runMean, runVar)
	x := randn(rng, bnN*bnH*bnW*bnC)
	out, err := model.CallOnce(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return layers.BatchNorm(scope.In("bn"), x, false)
	}, tensors.FromFlatDataAndDimensions(x, bnN, bnH, bnW, bnC))
	if err != nil {
		t.Fatal(err)
	}
	assertClose(t, "y", tensors.MustCopyFlatData[float64](out), refNormalize(x, runMean, runVar, scale, offset), 1e-12)
	assertClose(t, "running_mean", varValue(t, store, layers.BatchNormRunningMean), runMean, 0)
	assertClose(t, "running_var", varValue(t, store, layers.BatchNormRunningVar), runVar, 0)
}

// TestBatchNormNewVariables checks the initial values of freshly created variables.
func TestBatchNormNewVariables(t *testing.T) {
	b := newBackend(t)
	store := model.NewStore()
	x := randn(rand.New(rand.NewPCG(1, 1)), bnN*bnH*bnW*bnC)
	if _, err := model.CallOnce(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return layers.BatchNorm(scope.In("bn"), x, false)
	}, tensors.FromFlatDataAndDimensions(x, bnN, bnH, bnW, bnC)); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{
		layers.BatchNormScale: 1, layers.BatchNormOffset: 0,
		layers.BatchNormRunningMean: 0, layers.BatchNormRunningVar: 1,
	} {
		assertClose(t, name, varValue(t, store, name), []float64{want, want, want}, 0)
	}
}

// TestBatchNormGradient compares the training-mode gradients with respect
// to x, scale and offset with central finite differences.
func TestBatchNormGradient(t *testing.T) { eachBatchNorm(t, testBatchNormGradient) }

func testBatchNormGradient(t *testing.T, b compute.Backend) {
	rng := rand.New(rand.NewPCG(8, 9))
	store := bnStore(t, []float64{1.5, -0.5, 2}, []float64{0.1, 0.2, -0.3}, []float64{0, 0, 0}, []float64{1, 1, 1})
	dims := []int{bnN, bnH, bnW, bnC}
	x := randn(rng, prod(dims))
	r := tensors.FromFlatDataAndDimensions(randn(rng, prod(dims)), dims...)
	lossFn := func(scope *model.Scope, x, r *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Mul(graph.Square(layers.BatchNorm(scope.In("bn"), x, true)), r))
	}
	gradExec := model.MustNewExec(b, store, func(scope *model.Scope, x, r *graph.Node) []*graph.Node {
		loss := lossFn(scope, x, r)
		g := x.Graph()
		return graph.Gradient(loss, x,
			store.GetVariable(bnPath(layers.BatchNormScale)).NodeValue(g),
			store.GetVariable(bnPath(layers.BatchNormOffset)).NodeValue(g))
	})
	lossExec := model.MustNewExec(b, store, lossFn)
	outs, err := gradExec.Call(tensors.FromFlatDataAndDimensions(x, dims...), r)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[int]string{1: layers.BatchNormScale, 2: layers.BatchNormOffset}
	values := [][]float64{x, varValue(t, store, layers.BatchNormScale), varValue(t, store, layers.BatchNormOffset)}
	loss := func() float64 {
		for i, name := range vars {
			if err := store.GetVariable(bnPath(name)).SetValue(tensors.FromFlatDataAndDimensions(values[i], bnC)); err != nil {
				t.Fatal(err)
			}
		}
		out, err := lossExec.Call1(tensors.FromFlatDataAndDimensions(values[0], dims...), r)
		if err != nil {
			t.Fatal(err)
		}
		return tensors.ToScalar[float64](out)
	}
	const h, tol = 1e-5, 1e-6
	for which, v := range values {
		grad := tensors.MustCopyFlatData[float64](outs[which])
		for i := range v {
			orig := v[i]
			v[i] = orig + h
			lp := loss()
			v[i] = orig - h
			lm := loss()
			v[i] = orig
			if fd := (lp - lm) / (2 * h); !closeTo(grad[i], fd, tol) {
				t.Errorf("gradient %d [%d] = %.10g, finite difference %.10g", which, i, grad[i], fd)
			}
		}
	}
}
