package train

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
	"github.com/trgnas/trgnas/nas"
)

// SGD is stochastic gradient descent with momentum, coupled weight decay and
// gradient clipping by global norm, with the semantics of PyTorch's
// torch.nn.utils.clip_grad_norm_ followed by torch.optim.SGD.step
// (dampening 0, no Nesterov), as the reference training script calls them:
//
//	norm  = sqrt(sum over all trainable gradients of g^2)
//	g    *= min(1, ClipNorm / (norm + 1e-6))      (only if ClipNorm > 0)
//	d     = g + WeightDecay * p
//	buf   = Momentum * buf + d                     (buf starts at 0, so its first value is d)
//	p    -= lr * buf
//
// Weight decay applies to every trainable variable (BatchNorm scale and
// offset, classifier bias included), as the reference passes
// model.parameters() to the optimizer.
//
// SGD implements GoMLX's optimizer.Interface. The learning rate is the
// scalar variable optimizer.LearningRateVar of the root scope
// ("/optimizers/learning_rate"), set with SetLR. Momentum buffers live
// under "/optimizers/sgd", mirroring each variable's path.
type SGD struct {
	Momentum    float64
	WeightDecay float64
	ClipNorm    float64 // 0 disables clipping
}

// clipEps is PyTorch's clip_grad_norm_ epsilon.
const clipEps = 1e-6

// momentumScope is the absolute scope of the momentum buffers.
const momentumScope = "/" + optimizer.Scope + "/sgd"

// NewSGD returns the optimizer of a recipe.
func NewSGD(r nas.Recipe) SGD {
	return SGD{Momentum: r.Momentum, WeightDecay: r.WeightDecay, ClipNorm: r.GradClip}
}

// UpdateGraph builds one training step: gradients of loss with respect to
// the trainable variables of the scope's store used by the graph, then the
// update above. It is a graph-building function and panics on error.
func (o SGD) UpdateGraph(scope *model.Scope, g *graph.Graph, loss *graph.Node) {
	if !loss.Shape().IsScalar() {
		panic(fmt.Sprintf("SGD: loss must be a scalar, got shape %s", loss.Shape()))
	}
	store := scope.Store()
	var vars []*model.Variable
	var values []*graph.Node
	for v := range store.IterVariables() {
		if v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
			values = append(values, v.NodeValue(g))
		}
	}
	if len(vars) == 0 {
		return
	}
	grads := graph.Gradient(loss, values...)
	lr := optimizer.LearningRateVar(store.RootScope(), loss.DType(), 0).NodeValue(g)
	bufs := make([]*graph.Node, len(vars))
	bufVars := make([]*model.Variable, len(vars))
	for i, v := range vars {
		bufVars[i] = momentumVar(store, v)
		bufs[i] = bufVars[i].NodeValue(g)
	}
	newValues, newBufs := o.Step(values, grads, bufs, lr)
	for i, v := range vars {
		v.SetNodeValue(newValues[i])
		bufVars[i].SetNodeValue(newBufs[i])
	}
}

// momentumVar returns (creating it with zeros if needed) the momentum buffer
// of v.
func momentumVar(store *model.Store, v *model.Variable) *model.Variable {
	zeros := tensors.FromShape(v.Shape())
	return store.VariableWithValue(model.JoinPath(momentumScope, v.Path()), zeros).SetTrainable(false)
}

// Step is the update rule on graph nodes: given parameters, their
// gradients, momentum buffers and the scalar learning rate, it returns the
// new parameters and buffers. It is a graph-building function.
func (o SGD) Step(params, grads, bufs []*graph.Node, lr *graph.Node) (newParams, newBufs []*graph.Node) {
	if len(params) != len(grads) || len(params) != len(bufs) {
		panic(fmt.Sprintf("SGD.Step: %d params, %d grads, %d buffers", len(params), len(grads), len(bufs)))
	}
	if len(params) == 0 {
		return nil, nil
	}
	g := params[0].Graph()
	if o.ClipNorm > 0 {
		var sum *graph.Node
		for _, gr := range grads {
			sq := graph.ConvertDType(graph.ReduceAllSum(graph.Square(gr)), dtypes.Float32)
			if sum == nil {
				sum = sq
			} else {
				sum = graph.Add(sum, sq)
			}
		}
		norm := graph.Sqrt(sum)
		coef := graph.Div(graph.Scalar(g, dtypes.Float32, o.ClipNorm), graph.AddScalar(norm, clipEps))
		coef = graph.Min(coef, graph.Scalar(g, dtypes.Float32, 1))
		clipped := make([]*graph.Node, len(grads))
		for i, gr := range grads {
			clipped[i] = graph.Mul(gr, graph.ConvertDType(coef, gr.DType()))
		}
		grads = clipped
	}
	newParams = make([]*graph.Node, len(params))
	newBufs = make([]*graph.Node, len(params))
	for i, p := range params {
		d := grads[i]
		if o.WeightDecay != 0 {
			d = graph.Add(d, graph.MulScalar(p, o.WeightDecay))
		}
		buf := d
		if o.Momentum != 0 {
			buf = graph.Add(graph.MulScalar(bufs[i], o.Momentum), d)
		}
		newBufs[i] = buf
		newParams[i] = graph.Sub(p, graph.Mul(buf, graph.ConvertDType(lr, p.DType())))
	}
	return newParams, newBufs
}

// Clear deletes the momentum buffers of the scope's store.
func (o SGD) Clear(scope *model.Scope) error {
	return scope.Store().DeleteVariablesInScope(momentumScope)
}

// SetLR sets the learning rate that the next training steps of an SGD on
// store use (the float32 variable optimizer.LearningRateVar).
func SetLR(store *model.Store, lr float64) error {
	v := optimizer.LearningRateVar(store.RootScope(), dtypes.Float32, lr)
	return v.SetValue(tensors.FromValue(float32(lr)))
}

var _ optimizer.Interface = SGD{}
