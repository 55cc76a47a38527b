package train

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/layers"
)

// Model is a NetworkMix network ready to be built into GoMLX graphs: the
// architecture, the input image shape (NHWC, channels last) and the number
// of classes. Seed makes the weight initialisation reproducible.
type Model struct {
	Arch    nas.Arch
	H, W, C int // input height, width, channels
	Classes int
	Seed    int64
}

// ErrInputTooSmall is wrapped by Model.Validate when the input image cannot
// be halved by every stride-2 layer of the network.
var ErrInputTooSmall = fmt.Errorf("input too small for the network")

// Validate checks the architecture, the input shape and the class count.
// Every stride-2 layer must halve a real size: H and W must be at least
// 2^Arch.Downsamples().
func (m Model) Validate() error {
	if err := m.Arch.Validate(); err != nil {
		return err
	}
	if m.H < 1 || m.W < 1 || m.C < 1 {
		return fmt.Errorf("model: input shape %dx%dx%d (HxWxC), every size must be >= 1", m.H, m.W, m.C)
	}
	if m.Classes < 2 {
		return fmt.Errorf("model: classes %d, must be >= 2", m.Classes)
	}
	need := 1 << m.Arch.Downsamples()
	if m.H < need || m.W < need {
		return fmt.Errorf("%w: input %dx%d, %d stride-2 layers need at least %dx%d",
			ErrInputTooSmall, m.H, m.W, m.Arch.Downsamples(), need, need)
	}
	return nil
}

// Params is the trainable parameter count of the model (Arch.Params).
func (m Model) Params() int { return m.Arch.Params(m.C, m.Classes) }

// MACs is the multiply-accumulate count of one forward pass of one image.
func (m Model) MACs() int64 { return m.Arch.MACs(m.H, m.W, m.C, m.Classes) }

// Logits builds the network on images x (float32, [batch, H, W, C],
// already normalised) and returns the logits [batch, Classes]. With
// training set, BatchNorm uses and updates batch statistics.
//
// Layout of the variables under scope: "stem" (conv, bn), "layer_000",
// "layer_001", ... (depthwise and pointwise or conv, bn) and "head"
// (weights, biases). Variables are created on the first call and reused
// after (the training and evaluation graphs share them; sub-scopes are
// entered with Scope.At, so building twice on one scope reuses them too);
// values from a checkpoint loaded into the store take precedence over the
// initialisation.
//
// Logits is a graph-building function: it panics on error (wrong input
// shape included).
func (m Model) Logits(scope *model.Scope, x *graph.Node, training bool) *graph.Node {
	g := x.Graph()
	if x.Rank() != 4 {
		panic(fmt.Sprintf("model: input rank %d (shape %s), want [batch, %d, %d, %d]", x.Rank(), x.Shape(), m.H, m.W, m.C))
	}
	batch := x.Shape().Dimensions[0]
	assertShape(x, "input", batch, m.H, m.W, m.C)
	a := m.Arch

	// No gradient flows into the images: without the mark, the stem's
	// custom gradient (package layers) would compute one.
	x = graph.StopGradient(x)
	// An evaluation graph takes no gradient: with the layers' operands
	// marked so, package layers adds no custom-gradient ops, which would
	// keep each convolution's input alive in the graph (and stop the
	// backend from running a depthwise convolution together with the
	// pointwise one after it). The marks are identities: same values.
	ng := func(n *graph.Node) *graph.Node {
		if training {
			return n
		}
		return graph.StopGradient(n)
	}
	sc := scope.At("stem")
	x = layers.Conv2D(x, ng(m.weight(sc, g, "conv", 3, 3, m.C, a.StemChannels(), m.C*9)), 1)
	x = layers.BatchNorm(sc.At("bn"), x, training)
	h, w := m.H, m.W
	assertShape(x, "stem", batch, h, w, a.StemChannels())

	for i, l := range a.Layers() {
		lc := scope.At("layer_%03d", i)
		x = ng(layers.ReLU(ng(x)))
		k := l.Kernel
		if l.Op == nas.OpSepConv {
			// Depthwise: groups = In, so fan_in = k*k.
			x = ng(layers.DepthwiseConv2D(x, ng(m.weight(lc, g, "depthwise", k, k, 1, l.In, k*k)), l.Stride))
			x = layers.Conv2D(x, ng(m.weight(lc, g, "pointwise", 1, 1, l.In, l.Out, l.In)), 1)
		} else {
			x = layers.Conv2D(x, ng(m.weight(lc, g, "conv", k, k, l.In, l.Out, l.In*k*k)), l.Stride)
		}
		x = layers.BatchNorm(lc.At("bn"), x, training)
		h, w = nas.ConvOut(h, l.Stride), nas.ConvOut(w, l.Stride)
		assertShape(x, fmt.Sprintf("layer %d (%s k%d stride %d)", i, opName(l.Op), k, l.Stride), batch, h, w, l.Out)
	}

	hc := scope.At("head")
	cf := a.FinalChannels()
	x = graph.ReduceMean(x, 1, 2) // global average pool
	assertShape(x, "pool", batch, cf)
	weights := m.weight(hc, g, "weights", cf, m.Classes, 0, 0, cf)
	biases := m.uniformVar(hc, "biases", []int{m.Classes}, 1/math.Sqrt(float64(cf))).NodeValue(g)
	logits := graph.Add(layers.Dot(ng(x), ng(weights)), graph.Reshape(biases, 1, m.Classes))
	assertShape(logits, "logits", batch, m.Classes)
	return logits
}

// weight returns the node of a convolution kernel [kh, kw, in, out] (or a
// dense matrix [kh, kw] when in and out are 0) initialised like PyTorch's
// default for Conv2d and Linear: kaiming_uniform_(w, a=sqrt(5)), i.e.
// gain = sqrt(2/(1+a^2)) = sqrt(1/3) and bound = gain*sqrt(3/fan_in) =
// 1/sqrt(fan_in), so w ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with fan_in =
// (in_channels/groups) * kh * kw (torch/nn/modules/conv.py
// _ConvNd.reset_parameters, torch/nn/modules/linear.py
// Linear.reset_parameters, torch/nn/init.py kaiming_uniform_ and
// calculate_gain). Dense biases use the same bound (Linear.reset_parameters).
func (m Model) weight(scope *model.Scope, g *graph.Graph, name string, kh, kw, in, out, fanIn int) *graph.Node {
	dims := []int{kh, kw, in, out}
	if in == 0 && out == 0 {
		dims = []int{kh, kw}
	}
	return m.uniformVar(scope, name, dims, 1/math.Sqrt(float64(fanIn))).NodeValue(g)
}

// uniformVar returns the variable name in scope, creating it with values drawn
// from U(-bound, bound) by a generator seeded from Model.Seed and the
// variable's scope and name (so values do not depend on creation order).
func (m Model) uniformVar(scope *model.Scope, name string, dims []int, bound float64) *model.Variable {
	if v := scope.GetVariable(name); v != nil {
		return v
	}
	hsh := fnv.New64a()
	hsh.Write([]byte(scope.Scope() + "/" + name))
	rng := rand.New(rand.NewPCG(uint64(m.Seed), hsh.Sum64()))
	t := tensors.FromShape(shapes.Make(dtypes.Float32, dims...))
	tensors.MutableFlatData(t, func(flat []float32) {
		for i := range flat {
			flat[i] = float32((2*rng.Float64() - 1) * bound)
		}
	})
	return scope.VariableWithValue(name, t)
}

// assertShape panics with a message naming the block if x is not float32
// with the given dimensions.
func assertShape(x *graph.Node, block string, dims ...int) {
	want := shapes.Make(dtypes.Float32, dims...)
	if !x.Shape().Equal(want) {
		panic(fmt.Sprintf("model: %s: shape %s, want %s", block, x.Shape(), want))
	}
}

func opName(op int) string {
	if op == nas.OpSepConv {
		return "SepConv"
	}
	return "Conv"
}

// TrainableParams counts the scalars of the trainable variables of store
// (BatchNorm running statistics, optimizer state and counters are not
// trainable). For a built Model it equals Model.Params.
func TrainableParams(store *model.Store) int {
	n := 0
	for v := range store.IterVariables() {
		if v.Trainable {
			n += v.Shape().Size()
		}
	}
	return n
}
