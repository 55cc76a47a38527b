package train_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/train"
)

// tinyData is a small learnable synthetic problem: 8x8x1 images, 4 classes.
func tinyData(t *testing.T) (tr, valid *data.Dataset) {
	t.Helper()
	all, err := data.NewSynthetic(data.SyntheticConfig{N: 640, H: 8, W: 8, C: 1, Classes: 4, Seed: 3, Noise: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	tr, valid, err = all.Split(0.2, 1)
	if err != nil {
		t.Fatal(err)
	}
	return tr, valid
}

func tinyRecipe() nas.Recipe {
	r := nas.DefaultRecipe()
	r.Epochs, r.BatchSize, r.LearningRate = 3, 32, 0.1
	r.Cutout, r.Flip, r.CropPad = false, false, 0
	r.Seed = 1
	return r
}

func tinyConfig(t *testing.T) train.Config {
	tr, valid := tinyData(t)
	return train.Config{
		Backend: testBackend(t), Arch: nas.Uniform(4, 3, nas.OpSepConv, 3),
		Recipe: tinyRecipe(), Train: tr, Valid: valid,
	}
}

func TestTrainLearns(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.ClassAcc = true
	var calls, done int
	var lastStep train.Progress
	cfg.Progress = func(p train.Progress) {
		calls++
		if p.Done != nil {
			done++
			// The epoch's end reports the rate its last step trained at and
			// no time left after the last epoch.
			if p.LR != lastStep.LR || p.Step != p.Steps || (p.Epoch == p.Epochs-1) != (p.ETA == 0) {
				t.Errorf("end of epoch %d: lr %g (last step %g), step %d/%d, ETA %v", p.Epoch, p.LR, lastStep.LR, p.Step, p.Steps, p.ETA)
			}
		} else {
			lastStep = p
		}
		if p.Epochs != 3 || p.Steps != 16 || p.Step < 1 || p.Step > p.Steps {
			t.Errorf("progress %+v", p)
		}
	}
	res, err := train.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("valid %.2f%% (final %.2f%%), train %.2f%%, %.1f images/s, compile %.2fs, wall %.2fs",
		res.ValidAcc, res.FinalValidAcc, res.TrainAcc, res.ImagesPerSec, res.CompileSeconds, res.WallSeconds)
	if res.Failed {
		t.Fatalf("failed: %s", res.Error)
	}
	if res.ValidAcc < 50 { // chance is 25%
		t.Errorf("best validation accuracy %.2f%%, want >= 60%%", res.ValidAcc)
	}
	if len(res.Curve) != 3 {
		t.Fatalf("curve has %d epochs, want 3", len(res.Curve))
	}
	lr0, _ := nas.CosineLR(0.1, 0, 3)
	if res.Curve[0].LR != lr0 || res.Curve[2].LR != 0 {
		t.Errorf("curve learning rates %g .. %g, want %g .. 0", res.Curve[0].LR, res.Curve[2].LR, lr0)
	}
	if !(res.Curve[2].TrainLoss < res.Curve[0].TrainLoss) {
		t.Errorf("training loss did not fall: %g -> %g", res.Curve[0].TrainLoss, res.Curve[2].TrainLoss)
	}
	if want := cfg.Arch.Params(1, 4); res.Params != want {
		t.Errorf("Params %d, want %d", res.Params, want)
	}
	if res.MACs != cfg.Arch.MACs(8, 8, 1, 4) || res.Backend != backend.Name(cfg.Backend) {
		t.Errorf("MACs %d backend %q", res.MACs, res.Backend)
	}
	if len(res.ClassAcc) != 4 {
		t.Errorf("class accuracies %v, want 4", res.ClassAcc)
	}
	if done != 3 || calls != 3*16+3 {
		t.Errorf("progress: %d calls, %d epoch ends; want %d and 3", calls, done, 3*16+3)
	}
	if res.CompileSeconds <= 0 || res.WallSeconds <= 0 || res.ImagesPerSec <= 0 {
		t.Errorf("timings: compile %g wall %g images/s %g", res.CompileSeconds, res.WallSeconds, res.ImagesPerSec)
	}
}

func TestTrainDiverges(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Recipe.LearningRate = 1e30
	cfg.Recipe.GradClip = 0
	cfg.Recipe.Epochs = 2
	res, err := train.Train(context.Background(), cfg)
	if err != nil {
		t.Fatalf("a diverging run must not be an error: %v", err)
	}
	if !res.Failed || !strings.Contains(res.Error, "diverged") {
		t.Fatalf("Failed %v, Error %q; want a divergence", res.Failed, res.Error)
	}
	t.Log(res.Error)
}

func TestTrainErrors(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*train.Config)
		wantErr error
		want    string
	}{
		{"bad arch", func(c *train.Config) { c.Arch.Ops[0] = 2 }, nas.ErrInvalidArch, "ops[0] = 2"},
		{"bad recipe", func(c *train.Config) { c.Recipe.BatchSize = 0 }, nas.ErrInvalidRecipe, "batch_size 0"},
		{"too small", func(c *train.Config) { c.Arch = nas.Uniform(4, 3, 0, 3); c.Train.H, c.Train.W = 2, 32 }, nil, "training set"},
		{"no backend", func(c *train.Config) { c.Backend = nil }, train.ErrNoBackend, "no backend"},
		{"no valid", func(c *train.Config) { c.Valid = nil }, nil, "validation"},
		{"bad norm", func(c *train.Config) { c.Mean, c.Std = []float32{0.5}, []float32{0} }, nil, "Std"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(t)
			tc.edit(&cfg)
			_, err := train.Train(context.Background(), cfg)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("error %v does not wrap %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestTrainInputTooSmall(t *testing.T) {
	cfg := tinyConfig(t)
	small, err := data.NewSynthetic(data.SyntheticConfig{N: 64, H: 3, W: 3, C: 1, Classes: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Train, cfg.Valid = small, small
	_, err = train.Train(context.Background(), cfg)
	if !errors.Is(err, train.ErrInputTooSmall) {
		t.Fatalf("error %v, want ErrInputTooSmall", err)
	}
}

func TestTrainCancelled(t *testing.T) {
	cfg := tinyConfig(t)
	ctx, cancel := context.WithCancel(context.Background())
	cfg.Progress = func(p train.Progress) {
		if p.Step == 2 {
			cancel()
		}
	}
	_, err := train.Train(ctx, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// TestCheckpointRoundTrip saves a trained model and evaluates the
// checkpoint on the validation set: the accuracy must equal the run's final
// validation accuracy.
func TestCheckpointRoundTrip(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Recipe.Epochs = 1
	cfg.Recipe.LearningRate = 0.1
	cfg.CheckpointDir = t.TempDir() + "/ckpt"
	res, err := train.Train(context.Background(), cfg)
	if err != nil || res.Failed {
		t.Fatalf("train: %v %s", err, res.Error)
	}
	ev, err := train.EvalCheckpoint(context.Background(), cfg.Backend, cfg.CheckpointDir, cfg.Valid, 50)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ev.Acc-res.FinalValidAcc) > 1e-9 || math.Abs(ev.Loss-res.Curve[0].ValidLoss) > 1e-4 {
		t.Errorf("checkpoint: acc %.4f loss %.6f; training run: acc %.4f loss %.6f", ev.Acc, ev.Loss, res.FinalValidAcc, res.Curve[0].ValidLoss)
	}
	if ev.N != cfg.Valid.N || len(ev.ClassAcc) != 4 {
		t.Errorf("evaluation %+v", ev)
	}
	// A second run into the same directory is refused.
	if _, err := train.Train(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second save into the same directory: %v", err)
	}
	// Wrong data shape and missing checkpoint are errors.
	other, _ := data.NewSynthetic(data.SyntheticConfig{N: 10, H: 16, W: 16, C: 1, Classes: 4, Seed: 1})
	if _, err := train.EvalCheckpoint(context.Background(), cfg.Backend, cfg.CheckpointDir, other, 8); err == nil {
		t.Error("16x16 data on an 8x8 model: no error")
	}
	if _, err := train.EvalCheckpoint(context.Background(), cfg.Backend, t.TempDir(), cfg.Valid, 8); err == nil {
		t.Error("empty directory: no error")
	}
	// A network with a variable the checkpoint lacks (layer 0 a Conv, not
	// the SepConv trained) is refused, not evaluated with that variable's
	// initial values.
	saved, err := train.LoadModel(cfg.CheckpointDir)
	if err != nil {
		t.Fatal(err)
	}
	saved.Arch.Ops[0] = nas.OpConv
	b, err := json.Marshal(saved)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cfg.CheckpointDir, train.ModelFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = train.EvalCheckpoint(context.Background(), cfg.Backend, cfg.CheckpointDir, cfg.Valid, 50)
	if want := "variable /layer_000/conv of the network is not in the checkpoint"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("checkpoint without /layer_000/conv: error %v, want one containing %q", err, want)
	}
}

// TestEvalCheckpointOfEarlierBuild evaluates a checkpoint that a build on
// GoMLX v0.26.0 saved (testdata: tinyConfig's network after its three
// epochs) and gets what that build measured on the same images.
func TestEvalCheckpointOfEarlierBuild(t *testing.T) {
	_, valid := tinyData(t)
	ev, err := train.EvalCheckpoint(context.Background(), testBackend(t), "testdata/checkpoint-gomlx-v0.26.0", valid, 50)
	if err != nil {
		t.Fatal(err)
	}
	if ev.N != 128 || ev.Acc != 67.96875 || math.Abs(ev.Loss-0.78893519272895551) > 1e-6 ||
		!slices.Equal(ev.ClassAcc, []float64{96.875, 75, 18.75, 81.25}) {
		t.Errorf("evaluation %+v, want 128 images, 67.96875%%, loss 0.788935, classes [96.875 75 18.75 81.25]", ev)
	}
}

func TestTrainerEvaluator(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Recipe.Epochs = 1
	var ev nas.Evaluator = &train.Trainer{Backend: cfg.Backend, Recipe: cfg.Recipe, Train: cfg.Train, Valid: cfg.Valid}
	a := nas.Uniform(4, 2, nas.OpConv, 5)
	res, err := ev.Evaluate(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Arch.Equal(a) || len(res.Curve) != 1 || res.Params != a.Params(1, 4) {
		t.Errorf("result arch %s curve %d params %d", res.Arch, len(res.Curve), res.Params)
	}
}

// TestTrainAnnealStep trains two epochs with the per-step schedule: every
// step's rate follows CosineStepLR, the curve records each epoch's first
// rate, and the network learns.
func TestTrainAnnealStep(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Recipe.Epochs, cfg.Recipe.Anneal = 2, nas.AnnealStep
	var lrs, ends []float64
	cfg.Progress = func(p train.Progress) {
		if p.Done == nil {
			lrs = append(lrs, p.LR)
		} else {
			ends = append(ends, p.LR)
		}
	}
	res, err := train.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed || len(res.Curve) != 2 {
		t.Fatalf("failed %v (%s), %d epochs", res.Failed, res.Error, len(res.Curve))
	}
	if res.Curve[0].LR != 0.1 {
		t.Errorf("epoch learning rate %g, want the first step's 0.1", res.Curve[0].LR)
	}
	if len(lrs) != 32 {
		t.Fatalf("%d step rates, want 32", len(lrs))
	}
	for i, lr := range lrs {
		if want, _ := nas.CosineStepLR(0.1, i, 32); math.Abs(lr-want) > 1e-12 {
			t.Errorf("step %d trained at %g, want %g", i, lr, want)
		}
	}
	// An epoch's end reports the rate of its last step, not of its first.
	if len(ends) != 2 || ends[0] != lrs[15] || ends[1] != lrs[31] {
		t.Errorf("rates at the epochs' ends %v, want the last steps' %g %g", ends, lrs[15], lrs[31])
	}
	if want, _ := nas.CosineStepLR(0.1, 16, 32); res.Curve[1].LR != want {
		t.Errorf("second epoch's rate %g, want %g", res.Curve[1].LR, want)
	}
	t.Logf("validation accuracy %.2f%%", res.ValidAcc)
	if res.ValidAcc < 50 { // chance is 25%
		t.Errorf("validation accuracy %.2f%% after two per-step-annealed epochs, want >= 50%%", res.ValidAcc)
	}
}

// TestTestFlip trains with the test-time flip and checks what it scores:
// the mean of the logits of each image and of its mirror image. A dataset
// and its mirror copy then score the same, loss included, while each scores
// differently from the images alone and from an upside-down copy (the
// mirror is left-right); the checkpoint scores as the run did.
func TestTestFlip(t *testing.T) {
	cfg := tinyConfig(t)
	cfg.Recipe.TestFlip = true
	cfg.CheckpointDir = t.TempDir() + "/ckpt"
	res, err := train.Train(context.Background(), cfg)
	if err != nil || res.Failed {
		t.Fatalf("train: %v %s", err, res.Error)
	}
	eval := func(d *data.Dataset) train.Evaluation {
		t.Helper()
		ev, err := train.EvalCheckpoint(context.Background(), cfg.Backend, cfg.CheckpointDir, d, 50)
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	ev := eval(cfg.Valid)
	t.Logf("flip %.2f%% (loss %.4f), images alone %.2f%%", ev.Acc, ev.Loss, ev.AccNoFlip)
	if ev.Acc != res.FinalValidAcc || ev.AccNoFlip != res.FinalValidAccNoFlip || res.FinalValidAccNoFlip == 0 {
		t.Errorf("checkpoint: acc %.4f, without flip %.4f; training run: %.4f, %.4f", ev.Acc, ev.AccNoFlip, res.FinalValidAcc, res.FinalValidAccNoFlip)
	}
	mirror := reversed(cfg.Valid, false)
	if m := eval(mirror); m.Acc != ev.Acc || m.Loss != ev.Loss || m.AccNoFlip == ev.AccNoFlip {
		t.Errorf("mirror copy: acc %.4f loss %.6f, alone %.4f; the set: %.4f %.6f, alone %.4f (want the same score, another score alone)",
			m.Acc, m.Loss, m.AccNoFlip, ev.Acc, ev.Loss, ev.AccNoFlip)
	}
	if u := eval(reversed(cfg.Valid, true)); u.Loss == ev.Loss {
		t.Errorf("upside-down copy scores the set's loss %.6f: the flip is not left-right", u.Loss)
	}
}

// reversed returns d with every image mirrored left-right, or turned
// upside down.
func reversed(d *data.Dataset, upsideDown bool) *data.Dataset {
	out := *d
	out.Images = make([]uint8, len(d.Images))
	for n := range d.N {
		for y := range d.H {
			for x := range d.W {
				sy, sx := y, d.W-1-x
				if upsideDown {
					sy, sx = d.H-1-y, x
				}
				src := ((n*d.H+sy)*d.W + sx) * d.C
				dst := ((n*d.H+y)*d.W + x) * d.C
				copy(out.Images[dst:dst+d.C], d.Images[src:src+d.C])
			}
		}
	}
	return &out
}

// The evaluation warm-up learns nothing and changes nothing: the same run
// with it gives the same curve, bit for bit (the variables are initialised
// the same way whichever executable runs first, and a batch of zeros in
// inference mode moves no batch-norm statistics).
func TestEvalWarmup(t *testing.T) {
	var curves [2][]nas.Epoch
	for i, warm := range []bool{false, true} {
		cfg := tinyConfig(t)
		cfg.EvalWarmup = warm
		res, err := train.Train(context.Background(), cfg)
		if err != nil || res.Failed {
			t.Fatalf("warm-up %v: %v %s", warm, err, res.Error)
		}
		curves[i] = res.Curve
	}
	if len(curves[0]) != 3 {
		t.Fatalf("curve of %d epochs", len(curves[0]))
	}
	for e := range curves[0] {
		a, b := curves[0][e], curves[1][e]
		if a.TrainLoss != b.TrainLoss || a.ValidLoss != b.ValidLoss || a.ValidAcc != b.ValidAcc {
			t.Errorf("epoch %d: without warm-up loss %v valid %v (%v%%), with it %v, %v (%v%%)", e, a.TrainLoss, a.ValidLoss, a.ValidAcc, b.TrainLoss, b.ValidLoss, b.ValidAcc)
		}
	}
}
