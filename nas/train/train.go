package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
)

// Config is one training run of one candidate.
type Config struct {
	Backend compute.Backend // required; see backend.Open
	Arch    nas.Arch
	Recipe  nas.Recipe
	Train   *data.Dataset // training images (Recipe.TrainLimit applies)
	Valid   *data.Dataset // validation images, evaluated after every epoch (Recipe.ValidLimit applies); nil for none
	// Test, when set, is evaluated once, after the last epoch, into
	// Result.TestAcc and TestLoss (and ClassAcc when asked for): the final
	// step of a search trains on all training images with no validation
	// split and scores the network on the test set only.
	Test *data.Dataset
	// Mean and Std are the per-channel normalisation constants (on the [0, 1]
	// scale); nil means computed from Train.
	Mean, Std []float32
	// ClassAcc asks for the per-class accuracy of the final model: on the
	// test set when there is one, else on the validation set.
	ClassAcc bool
	// Progress, if set, is called after every training step and after every
	// epoch's evaluation, from the calling goroutine.
	Progress func(Progress)
	// CheckpointDir, if set, is where the trained model is saved (GoMLX
	// checkpoint plus model.json); it must not hold a checkpoint already.
	CheckpointDir string
	// EvalWarmup runs the evaluation executable once, on a batch of zero
	// images, before the first training step (its outputs are dropped and
	// nothing is learned from it): a benchmark that times the validation
	// pass then does not time the executable's first run, which on XLA
	// CUDA may hold one-off set-up work.
	EvalWarmup bool
}

// Progress reports where a training run is.
type Progress struct {
	Epoch, Epochs int           // current epoch, 0-based, and the total
	Step, Steps   int           // training steps done in this epoch and per epoch
	Loss          float64       // mean training loss of the epoch so far
	Acc           float64       // training accuracy of the epoch so far, percent
	LR            float64       // learning rate of the last step
	ImagesPerSec  float64       // training throughput of the epoch so far
	ETA           time.Duration // estimated time to the end of the run (0 after the last epoch)
	Done          *nas.Epoch    // set once per epoch, after its evaluation
}

// Trainer trains candidates from scratch with one recipe on fixed data. It
// implements Evaluator; Evaluate calls may run concurrently (each builds
// its own GoMLX model store).
type Trainer struct {
	Backend   compute.Backend
	Recipe    nas.Recipe
	Train     *data.Dataset
	Valid     *data.Dataset
	Mean, Std []float32
	ClassAcc  bool
	Progress  func(nas.Arch, Progress)
}

// Evaluate trains a from scratch. See Train.
func (t *Trainer) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	cfg := Config{
		Backend: t.Backend, Arch: a, Recipe: t.Recipe, Train: t.Train, Valid: t.Valid,
		Mean: t.Mean, Std: t.Std, ClassAcc: t.ClassAcc,
	}
	if t.Progress != nil {
		cfg.Progress = func(p Progress) { t.Progress(a, p) }
	}
	return Train(ctx, cfg)
}

var _ nas.Evaluator = (*Trainer)(nil)

// ErrNoBackend is returned by Train without a backend.
var ErrNoBackend = errors.New("no backend")

// Train trains one candidate from scratch with cfg.Recipe and evaluates it
// on cfg.Valid after each epoch. A run whose loss or logits become NaN or
// infinite is returned as a Result with Failed set and a nil error. Errors
// are for runs that cannot start or finish: invalid configuration, input
// too small for the network, a graph that cannot be built, a cancelled ctx
// (checked between steps).
func Train(ctx context.Context, cfg Config) (nas.Result, error) {
	r, err := newRun(cfg)
	if err != nil {
		return nas.Result{}, err
	}
	return r.run(ctx)
}

// run is the state of one Train call.
type run struct {
	cfg                Config
	model              Model
	train, valid, test *data.Dataset
	batcher            *data.Batcher
	mean, std          []float32
	store              *model.Store
	trainExec          *model.Exec
	evalExec           *model.Exec
}

func newRun(cfg Config) (*run, error) {
	if cfg.Backend == nil {
		return nil, fmt.Errorf("train: %w", ErrNoBackend)
	}
	if err := cfg.Recipe.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if cfg.Train == nil || (cfg.Valid == nil && cfg.Test == nil) {
		return nil, fmt.Errorf("train: a training set and a validation or test set are required")
	}
	if err := cfg.Train.Validate(); err != nil {
		return nil, fmt.Errorf("train: training set: %w", err)
	}
	tr, va, te := cfg.Train, cfg.Valid, cfg.Test
	for _, o := range []struct {
		what string
		d    *data.Dataset
	}{{"validation", va}, {"test", te}} {
		if o.d == nil {
			continue
		}
		if err := o.d.Validate(); err != nil {
			return nil, fmt.Errorf("train: %s set: %w", o.what, err)
		}
		if tr.H != o.d.H || tr.W != o.d.W || tr.C != o.d.C || len(tr.Classes) != len(o.d.Classes) {
			return nil, fmt.Errorf("train: training set %q is %dx%dx%d with %d classes, %s set %q is %dx%dx%d with %d classes",
				tr.Name, tr.H, tr.W, tr.C, len(tr.Classes), o.what, o.d.Name, o.d.H, o.d.W, o.d.C, len(o.d.Classes))
		}
	}
	if cfg.Recipe.TrainLimit > 0 && cfg.Recipe.TrainLimit < tr.N {
		tr = tr.Take(cfg.Recipe.TrainLimit)
	}
	if va != nil && cfg.Recipe.ValidLimit > 0 && cfg.Recipe.ValidLimit < va.N {
		va = va.Take(cfg.Recipe.ValidLimit)
	}
	if tr.N == 0 || (va != nil && va.N == 0) || (te != nil && te.N == 0) {
		return nil, fmt.Errorf("train: empty dataset (%d training images)", tr.N)
	}
	if cfg.CheckpointDir != "" {
		if err := checkEmptyDir(cfg.CheckpointDir); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
	}
	m := Model{Arch: cfg.Arch, H: tr.H, W: tr.W, C: tr.C, Classes: len(tr.Classes), Seed: cfg.Recipe.Seed}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	aug := data.Augment{CropPad: cfg.Recipe.CropPad, Flip: cfg.Recipe.Flip, Mean: cfg.Mean, Std: cfg.Std}
	if cfg.Recipe.Cutout {
		aug.Cutout = cfg.Recipe.CutoutSize
	}
	b, err := data.NewBatcher(tr, cfg.Recipe.BatchSize, aug, cfg.Recipe.Seed)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	mean, std := b.Norm()
	return &run{cfg: cfg, model: m, train: tr, valid: va, test: te, batcher: b, mean: mean, std: std}, nil
}

// catch runs fn and turns a panic into an error.
func catch(what string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: panic: %v\n%s", what, p, debug.Stack())
		}
	}()
	return fn()
}

// build creates the GoMLX model store and the training and evaluation
// executables, and compiles them for the batch shapes of the run.
func (r *run) build() error {
	r.store = model.NewStore()
	if err := SetLR(r.store, r.cfg.Recipe.LearningRate); err != nil {
		return err
	}
	m, opt := r.model, NewSGD(r.cfg.Recipe)
	var err error
	r.trainExec, err = model.NewExec(r.cfg.Backend, r.store, func(scope *model.Scope, x, onehot *graph.Node) (*graph.Node, *graph.Node) {
		g := x.Graph()
		scope.Store().SetTraining(g, true)
		logits := m.Logits(scope, x, true)
		loss := crossEntropy(logits, onehot)
		opt.UpdateGraph(scope, g, loss)
		return loss, logits
	})
	if err != nil {
		return err
	}
	r.evalExec, err = newEvalExec(r.cfg.Backend, r.store, m, r.cfg.Recipe.TestFlip)
	if err != nil {
		return err
	}
	// Compiling builds the graphs (creating the variables) without running
	// them: variables are initialised by the first step.
	bs := r.cfg.Recipe.BatchSize
	if _, err := r.evalExec.Compile(r.imageShape(bs)); err != nil {
		return err
	}
	sizes := []int{min(bs, r.train.N)}
	if last := r.train.N % bs; last != 0 && r.train.N > bs {
		sizes = append(sizes, last)
	}
	for _, n := range sizes {
		if _, err := r.trainExec.Compile(r.imageShape(n), shapes.Make(dtypes.Float32, n, m.Classes)); err != nil {
			return err
		}
	}
	if got, want := TrainableParams(r.store), m.Params(); got != want {
		return fmt.Errorf("built model has %d trainable parameters, Arch.Params counts %d", got, want)
	}
	return nil
}

// warmEval runs the evaluation executable on a batch of zero images. The
// first call of any executable initialises the variables, the same way
// whichever executable makes it.
func (r *run) warmEval() error {
	bs := r.cfg.Recipe.BatchSize
	xt := tensors.FromFlatDataAndDimensions(make([]float32, bs*r.model.H*r.model.W*r.model.C), bs, r.model.H, r.model.W, r.model.C)
	return catch("evaluation warm-up", func() error {
		out, err := r.evalExec.Call(xt)
		freeTensors(append(out, xt))
		return err
	})
}

// newEvalExec builds the evaluation executable: the logits of a batch and,
// with flip (Recipe.TestFlip), a second output, the logits of its mirror
// images.
func newEvalExec(b compute.Backend, store *model.Store, m Model, flip bool) (*model.Exec, error) {
	if !flip {
		return model.NewExec(b, store, func(scope *model.Scope, x *graph.Node) *graph.Node {
			scope.Store().SetTraining(x.Graph(), false)
			return m.Logits(scope, x, false)
		})
	}
	return model.NewExec(b, store, func(scope *model.Scope, x *graph.Node) (*graph.Node, *graph.Node) {
		scope.Store().SetTraining(x.Graph(), false)
		return m.Logits(scope, x, false), m.Logits(scope, graph.Reverse(x, 2), false)
	})
}

// imageShape is the shape of a batch of n input images.
func (r *run) imageShape(n int) shapes.Shape {
	return shapes.Make(dtypes.Float32, n, r.model.H, r.model.W, r.model.C)
}

// crossEntropy is the mean softmax cross-entropy of logits [B, K] against
// one-hot labels [B, K].
func crossEntropy(logits, onehot *graph.Node) *graph.Node {
	shifted := graph.Sub(logits, graph.StopGradient(graph.ReduceAndKeep(logits, graph.ReduceMax, -1)))
	logZ := graph.Log(graph.ReduceAndKeep(graph.Exp(shifted), graph.ReduceSum, -1))
	logp := graph.Sub(shifted, logZ)
	return graph.Neg(graph.ReduceAllMean(graph.ReduceSum(graph.Mul(logp, onehot), -1)))
}

// diverged is the error text of a failed (diverging) run.
func diverged(what string, epoch, step int, v float64) string {
	return fmt.Sprintf("diverged: %s is %v at epoch %d step %d", what, v, epoch, step)
}

func (r *run) run(ctx context.Context) (nas.Result, error) {
	cfg, m := r.cfg, r.model
	res := nas.Result{
		Arch: cfg.Arch.Clone(), Params: m.Params(), MACs: m.MACs(),
		Backend: backend.Name(cfg.Backend),
	}
	if err := ctx.Err(); err != nil {
		return nas.Result{}, err
	}
	t0 := time.Now()
	defer r.finalize()
	if err := catch("building the model", r.build); err != nil {
		return nas.Result{}, fmt.Errorf("train %s: %w", cfg.Arch.Key(), err)
	}
	res.CompileSeconds = time.Since(t0).Seconds()
	if cfg.EvalWarmup {
		if err := r.warmEval(); err != nil {
			return nas.Result{}, fmt.Errorf("train %s: evaluation warm-up: %w", cfg.Arch.Key(), err)
		}
	}

	steps := r.batcher.Batches()
	epochs := cfg.Recipe.Epochs
	var trainImages int
	var trainSeconds float64
	start := time.Now()
	onehot := make([]float32, cfg.Recipe.BatchSize*m.Classes)
	stepIn := newBatchTensors(cfg.Recipe.BatchSize, m)
	defer stepIn.free()
	curLR := math.NaN() // the rate the optimizer holds
	for e := 0; e < epochs; e++ {
		es := time.Now()
		epochLR, err := cfg.Recipe.StepLR(e, 0, steps) // recorded in the curve
		if err != nil {
			return nas.Result{}, fmt.Errorf("train %s: %w", cfg.Arch.Key(), err)
		}
		var lossSum float64
		var correct, seen, step int
		failed := ""
		var stepErr error
		for x, y := range r.batcher.Epoch(e) {
			if err := ctx.Err(); err != nil {
				stepErr = err
				break
			}
			var lr float64
			if lr, stepErr = cfg.Recipe.StepLR(e, step, steps); stepErr == nil && lr != curLR {
				stepErr = SetLR(r.store, lr)
				curLR = lr
			}
			if stepErr != nil {
				break
			}
			n := len(y)
			oh := onehot[:n*m.Classes]
			clear(oh)
			for i, l := range y {
				oh[i*m.Classes+int(l)] = 1
			}
			xt, ot := stepIn.fill(x, oh, n, m)
			var out []*tensors.Tensor
			stepErr = catch("training step", func() (err error) {
				out, err = r.trainExec.Call(xt, ot)
				return err
			})
			if stepErr != nil {
				break
			}
			loss := float64(out[0].Value().(float32))
			logits := out[1].Value().([][]float32)
			freeTensors(out)
			stepIn.done(xt, ot)
			step++
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				failed = diverged("training loss", e, step, loss)
				break
			}
			lossSum += loss * float64(n)
			for i, row := range logits {
				if argmax(row) == int(y[i]) {
					correct++
				}
			}
			seen += n
			if cfg.Progress != nil {
				el := time.Since(es).Seconds()
				ips := float64(seen) / el
				left := float64((epochs-e)*r.train.N-seen) / ips
				cfg.Progress(Progress{
					Epoch: e, Epochs: epochs, Step: step, Steps: steps,
					Loss: lossSum / float64(seen), Acc: 100 * float64(correct) / float64(seen), LR: lr,
					ImagesPerSec: ips, ETA: time.Duration(left * float64(time.Second)),
				})
			}
		}
		if stepErr != nil {
			if ctx.Err() != nil {
				return nas.Result{}, ctx.Err()
			}
			return nas.Result{}, fmt.Errorf("train %s: epoch %d: %w", cfg.Arch.Key(), e, stepErr)
		}
		epochTrain := time.Since(es).Seconds()
		trainSeconds += epochTrain
		trainImages += seen
		if failed == "" {
			var ev evaluation
			if r.valid != nil {
				if ev, err = r.evaluate(ctx, r.valid, false); err != nil {
					if ctx.Err() != nil {
						return nas.Result{}, ctx.Err()
					}
					return nas.Result{}, fmt.Errorf("train %s: epoch %d: validation: %w", cfg.Arch.Key(), e, err)
				}
			}
			if ev.nonFinite {
				failed = fmt.Sprintf("diverged: validation logits not finite after epoch %d", e)
			} else {
				ep := nas.Epoch{
					Epoch: e, LR: epochLR, TrainLoss: lossSum / float64(seen), TrainAcc: 100 * float64(correct) / float64(seen),
					ValidLoss: ev.loss, ValidAcc: ev.acc, Seconds: time.Since(es).Seconds(),
				}
				res.Curve = append(res.Curve, ep)
				res.TrainAcc = math.Max(res.TrainAcc, ep.TrainAcc)
				res.ValidAcc = math.Max(res.ValidAcc, ep.ValidAcc)
				res.FinalTrainAcc, res.FinalValidAcc = ep.TrainAcc, ep.ValidAcc
				res.FinalValidAccNoFlip = ev.noFlip
				if cfg.Progress != nil {
					cfg.Progress(Progress{
						Epoch: e, Epochs: epochs, Step: step, Steps: steps, Loss: ep.TrainLoss, Acc: ep.TrainAcc, LR: curLR,
						ImagesPerSec: float64(seen) / epochTrain, ETA: eta(start, e+1, epochs), Done: &ep,
					})
				}
			}
		}
		if failed != "" {
			res.Failed, res.Error = true, failed
			break
		}
	}
	res.WallSeconds = time.Since(start).Seconds()
	if trainSeconds > 0 {
		res.ImagesPerSec = float64(trainImages) / trainSeconds
	}
	if !res.Failed && r.test != nil {
		// The one look at the test set.
		ev, err := r.evaluate(ctx, r.test, cfg.ClassAcc)
		if err != nil {
			if ctx.Err() != nil {
				return nas.Result{}, ctx.Err()
			}
			return nas.Result{}, fmt.Errorf("train %s: test set: %w", cfg.Arch.Key(), err)
		}
		if ev.nonFinite {
			res.Failed, res.Error = true, "diverged: test logits not finite"
		}
		res.TestAcc, res.TestLoss, res.ClassAcc = ev.acc, ev.loss, ev.classAcc
		res.TestAccNoFlip = ev.noFlip
		res.WallSeconds = time.Since(start).Seconds()
	} else if !res.Failed && cfg.ClassAcc {
		ev, err := r.evaluate(ctx, r.valid, true)
		if err != nil {
			return nas.Result{}, fmt.Errorf("train %s: class accuracy: %w", cfg.Arch.Key(), err)
		}
		res.ClassAcc = ev.classAcc
	}
	if !res.Failed && cfg.CheckpointDir != "" {
		if err := r.save(cfg.CheckpointDir); err != nil {
			return nas.Result{}, fmt.Errorf("train %s: %w", cfg.Arch.Key(), err)
		}
	}
	res.Finished = time.Now().UTC()
	return res, nil
}

// eta extrapolates the remaining time from the epochs done.
func eta(start time.Time, done, total int) time.Duration {
	if done == 0 {
		return 0
	}
	per := time.Since(start) / time.Duration(done)
	return per * time.Duration(total-done)
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// evaluation is the outcome of evaluating a model on a dataset.
type evaluation struct {
	acc, loss float64 // percent, mean cross-entropy
	noFlip    float64 // with a test-time flip, the accuracy from the images alone; else 0
	classAcc  []float64
	nonFinite bool
}

// evaluate runs the evaluation graph over d in batches of the recipe's
// size; the last partial batch is padded with zero images whose outputs
// are dropped (BatchNorm uses running statistics here, so padding does not
// change the other outputs).
func (r *run) evaluate(ctx context.Context, d *data.Dataset, perClass bool) (evaluation, error) {
	return evaluateExec(ctx, r.evalExec, r.model, d, r.cfg.Recipe.BatchSize, r.mean, r.std, perClass)
}

func evaluateExec(ctx context.Context, exec *model.Exec, m Model, d *data.Dataset, bs int, mean, std []float32, perClass bool) (evaluation, error) {
	batches, err := data.EvalBatches(d, bs, mean, std)
	if err != nil {
		return evaluation{}, err
	}
	var ev evaluation
	var correct, plainOK, seen int
	var lossSum float64
	classN := make([]int, m.Classes)
	classOK := make([]int, m.Classes)
	// One input tensor for every batch: a new one each time was fresh
	// memory, whose page faults cost a tenth of a small network's
	// inference batch.
	xt := tensors.FromShape(shapes.Make(dtypes.Float32, bs, m.H, m.W, m.C))
	defer freeTensors([]*tensors.Tensor{xt})
	for x, y := range batches {
		if err := ctx.Err(); err != nil {
			return evaluation{}, err
		}
		n := len(y)
		tensors.MutableFlatData(xt, func(flat []float32) {
			copy(flat, x)
			clear(flat[len(x):]) // a short last batch: zeros after it
		})
		var out []*tensors.Tensor
		err := catch("evaluation step", func() (err error) {
			out, err = exec.Call(xt)
			return err
		})
		if err != nil {
			return evaluation{}, err
		}
		logits := out[0].Value().([][]float32)
		var mirror [][]float32
		if len(out) == 2 {
			mirror = out[1].Value().([][]float32)
		}
		freeTensors(out)
		for i := 0; i < n; i++ {
			row, l := logits[i], int(y[i])
			if mirror != nil {
				if argmax(row) == l {
					plainOK++
				}
				for j, v := range mirror[i] {
					row[j] = (row[j] + v) / 2
				}
			}
			mx := float64(row[argmax(row)])
			var z float64
			for _, v := range row {
				z += math.Exp(float64(v) - mx)
			}
			nll := mx + math.Log(z) - float64(row[l])
			if math.IsNaN(nll) || math.IsInf(nll, 0) {
				ev.nonFinite = true
			}
			lossSum += nll
			classN[l]++
			if argmax(row) == l {
				correct++
				classOK[l]++
			}
		}
		seen += n
	}
	if seen == 0 {
		return evaluation{}, fmt.Errorf("dataset %q is empty", d.Name)
	}
	ev.acc = 100 * float64(correct) / float64(seen)
	ev.loss = lossSum / float64(seen)
	ev.noFlip = 100 * float64(plainOK) / float64(seen)
	if perClass {
		ev.classAcc = make([]float64, m.Classes)
		for c := range ev.classAcc {
			if classN[c] > 0 {
				ev.classAcc[c] = 100 * float64(classOK[c]) / float64(classN[c])
			}
		}
	}
	return ev, nil
}

// batchTensors are the input tensors of the training steps, filled anew
// for every full batch: a new tensor per step was fresh memory each time,
// whose page faults showed in the step time of small networks.
type batchTensors struct {
	bs     int
	xt, ot *tensors.Tensor
}

func newBatchTensors(bs int, m Model) *batchTensors {
	return &batchTensors{bs: bs, xt: tensors.FromShape(shapes.Make(dtypes.Float32, bs, m.H, m.W, m.C)),
		ot: tensors.FromShape(shapes.Make(dtypes.Float32, bs, m.Classes))}
}

// fill returns tensors holding the images x and one-hot labels oh of a
// batch of n: the shared ones for a full batch, new ones for a shorter
// one (done frees those).
func (b *batchTensors) fill(x, oh []float32, n int, m Model) (xt, ot *tensors.Tensor) {
	if n != b.bs {
		return tensors.FromFlatDataAndDimensions(x, n, m.H, m.W, m.C), tensors.FromFlatDataAndDimensions(oh, n, m.Classes)
	}
	tensors.MutableFlatData(b.xt, func(flat []float32) { copy(flat, x) })
	tensors.MutableFlatData(b.ot, func(flat []float32) { copy(flat, oh) })
	return b.xt, b.ot
}

// done frees xt and ot from fill unless they are the shared ones.
func (b *batchTensors) done(xt, ot *tensors.Tensor) {
	if xt != b.xt {
		freeTensors([]*tensors.Tensor{xt, ot})
	}
}

func (b *batchTensors) free() { freeTensors([]*tensors.Tensor{b.xt, b.ot}) }

// freeTensors releases the memory of tensors no longer needed, without
// waiting for the garbage collector (it matters for device memory).
func freeTensors(ts []*tensors.Tensor) {
	for _, t := range ts {
		_ = t.FinalizeAll()
	}
}

func (r *run) finalize() {
	if r.trainExec != nil {
		r.trainExec.Finalize()
	}
	if r.evalExec != nil {
		r.evalExec.Finalize()
	}
	if r.store != nil {
		r.store.Finalize()
	}
}
