package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
)

func init() {
	register("search", "run (or resume) the staged TRG-NAS search, recording every candidate in a ledger", runSearch)
}

// configFlags registers the search configuration's flags on fs, with c's
// values as defaults. The returned function applies -released, which
// overrides the margins and layers of c after parsing.
func configFlags(fs *flag.FlagSet, c *nas.Config) func() {
	fs.IntVar(&c.MinDepth, "min-depth", c.MinDepth, "smallest depth")
	fs.IntVar(&c.MaxDepth, "max-depth", c.MaxDepth, "largest depth")
	fs.IntVar(&c.MinWidth, "min-width", c.MinWidth, "smallest width")
	fs.IntVar(&c.MaxWidth, "max-width", c.MaxWidth, "largest (starting) width")
	fs.IntVar(&c.WidthStep, "width-step", c.WidthStep, "width decrement of the width stage")
	fs.Float64Var(&c.TargetAcc, "target-acc", c.TargetAcc, "depth stage stops at target-acc - target-tol (percent)")
	fs.Float64Var(&c.TargetTol, "target-tol", c.TargetTol, "tolerance of the target accuracy")
	fs.Float64Var(&c.DepthGain, "depth-gain", c.DepthGain, "a deeper network is accepted if it gains this much")
	fs.Float64Var(&c.DepthTol, "depth-tol", c.DepthTol, "the depth stage goes on while a deeper network loses at most this much")
	fs.Float64Var(&c.WidthDropTol, "width-drop-tol", c.WidthDropTol, "a narrower network may lose this much against the depth stage's accuracy")
	fs.Float64Var(&c.OpMargin, "op-margin", c.OpMargin, "an operation (or joint) change must gain more than this")
	fs.Float64Var(&c.KernelMargin, "kernel-margin", c.KernelMargin, "a kernel change must gain more than this")
	fs.BoolVar(&c.AllLayers, "all-layers", c.AllLayers, "search operations and kernels on all layers (default: the first 2L/3)")
	order := fs.String("order", string(c.Order), "stages after depth and width: ops-kernels, kernels-ops or joint")
	released := fs.Bool("released", false, "the authors' released script: all layers, no margins")
	return func() {
		c.Order = nas.Order(*order)
		if *released {
			c.AllLayers, c.OpMargin, c.KernelMargin = true, 0, 0
		}
	}
}

// recipeFlags registers the training recipe's flags on fs.
func recipeFlags(fs *flag.FlagSet, r *nas.Recipe) {
	fs.IntVar(&r.Epochs, "epochs", r.Epochs, "epochs per candidate")
	fs.IntVar(&r.BatchSize, "batch", r.BatchSize, "batch size")
	fs.Float64Var(&r.LearningRate, "lr", r.LearningRate, "initial learning rate (cosine-annealed to 0)")
	fs.Float64Var(&r.Momentum, "momentum", r.Momentum, "SGD momentum")
	fs.Float64Var(&r.WeightDecay, "weight-decay", r.WeightDecay, "weight decay")
	fs.Float64Var(&r.GradClip, "grad-clip", r.GradClip, "global gradient norm clip (0: off)")
	fs.BoolVar(&r.Cutout, "cutout", r.Cutout, "Cutout augmentation")
	fs.IntVar(&r.CutoutSize, "cutout-size", r.CutoutSize, "Cutout square size")
	fs.BoolVar(&r.Flip, "flip", r.Flip, "random horizontal flips")
	fs.IntVar(&r.CropPad, "crop-pad", r.CropPad, "padding of the random crop")
	fs.IntVar(&r.TrainLimit, "train-limit", r.TrainLimit, "train on at most this many images (0: all)")
	fs.IntVar(&r.ValidLimit, "valid-limit", r.ValidLimit, "validate on at most this many images (0: all)")
	fs.Int64Var(&r.Seed, "seed", r.Seed, "random seed")
}

// evalOptions says which evaluator trgnas search uses.
type evalOptions struct {
	evaluator string // "trainer" or "fake"
	dataset   string
	dataDir   string
	backend   string
	fakeEpoch time.Duration
	validFrac float64
	synthN    int
	recipe    nas.Recipe
	cfg       *nas.Config // InChannels and Classes are set from the data
	progress  io.Writer
}

// newEvaluator builds the evaluator of trgnas search and names the data
// (with its fingerprint) for the ledger header.
func newEvaluator(o evalOptions) (nas.Evaluator, string, error) {
	switch o.evaluator {
	case "fake":
		return fakeEvaluator{epochs: o.recipe.Epochs, seed: o.recipe.Seed, perEpoch: o.fakeEpoch, w: o.progress},
			fmt.Sprintf("fake-scores seed %d", o.recipe.Seed), nil
	case "trainer":
		train, valid, name, err := loadData(o)
		if err != nil {
			return nil, "", err
		}
		o.cfg.InChannels, o.cfg.Classes = train.C, len(train.Classes)
		_ = valid
		return nil, name, errors.New("the trainer evaluator is not part of this build yet; use -evaluator fake to exercise the search, ledger and resume")
	}
	return nil, "", fmt.Errorf("-evaluator %q: want trainer or fake", o.evaluator)
}

// loadData reads the training images of -dataset and holds out the
// validation split (seeded by the recipe's seed). name describes the data
// for the ledger: dataset, content fingerprint, split.
func loadData(o evalOptions) (train, valid *data.Dataset, name string, err error) {
	var full *data.Dataset
	switch o.dataset {
	case "mnist":
		dir := o.dataDir
		if dir == "" {
			if dir, err = data.MNISTDir(); err != nil {
				return nil, nil, "", err
			}
		}
		full, _, err = data.MNIST(dir)
	case "cifar10":
		if o.dataDir == "" {
			return nil, nil, "", errors.New("-dataset cifar10 needs -data DIR (the CIFAR-10 binary files)")
		}
		full, _, err = data.CIFAR10(o.dataDir)
	case "synthetic":
		full, err = data.NewSynthetic(data.SyntheticConfig{N: o.synthN, H: 16, W: 16, C: 3, Classes: 4, Seed: o.recipe.Seed, Noise: 0.2})
	default:
		return nil, nil, "", fmt.Errorf("-dataset %q: want mnist, cifar10 or synthetic", o.dataset)
	}
	if err != nil {
		return nil, nil, "", err
	}
	train, valid, err = full.Split(o.validFrac, o.recipe.Seed)
	if err != nil {
		return nil, nil, "", err
	}
	name = fmt.Sprintf("%s %s, %d train / %d valid (split %g, seed %d)", full.Name, full.Fingerprint(), train.N, valid.N, o.validFrac, o.recipe.Seed)
	return train, valid, name, nil
}

// fakeEvaluator trains nothing: it scores a network by a hash of its key and
// the seed, spending perEpoch per epoch. It exists to exercise the search,
// the ledger and resuming (kill and re-run) without the cost of training.
type fakeEvaluator struct {
	epochs   int
	seed     int64
	perEpoch time.Duration
	w        io.Writer
}

func (f fakeEvaluator) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", a.Key(), f.seed)
	u := float64(h.Sum64()%10000) / 10000
	valid := 85 + 10*u + 0.2*float64(a.Depth()) - 0.01*float64(72-a.Width)
	res := nas.Result{Arch: a, ValidAcc: valid, TrainAcc: valid + 3, Backend: "fake"}
	start := time.Now()
	for e := 0; e < f.epochs; e++ {
		select {
		case <-ctx.Done():
			return nas.Result{}, ctx.Err()
		case <-time.After(f.perEpoch):
		}
		frac := float64(e+1) / float64(f.epochs)
		ep := nas.Epoch{Epoch: e, TrainAcc: res.TrainAcc * frac, ValidAcc: valid * frac, Seconds: f.perEpoch.Seconds()}
		res.Curve = append(res.Curve, ep)
		if f.w != nil {
			fmt.Fprintf(f.w, "    epoch %d/%d train %.2f valid %.2f\n", e+1, f.epochs, ep.TrainAcc, ep.ValidAcc)
		}
	}
	res.WallSeconds = time.Since(start).Seconds()
	res.Finished = time.Now().UTC()
	return res, nil
}

func runSearch(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg, recipe := nas.DefaultConfig(), nas.DefaultRecipe()
	applyCfg := configFlags(fs, &cfg)
	recipeFlags(fs, &recipe)
	o := evalOptions{}
	ledger := fs.String("ledger", "", "ledger file (JSON lines); created, or resumed when it exists (required)")
	fs.StringVar(&o.dataset, "dataset", "mnist", "dataset: mnist, cifar10 or synthetic")
	fs.StringVar(&o.dataDir, "data", "", "data directory (CIFAR-10 binary files; MNIST idx files)")
	fs.StringVar(&o.backend, "backend", "", "GoMLX backend (default: GOMLX_BACKEND, else the pure-Go one)")
	fs.StringVar(&o.evaluator, "evaluator", "trainer", "trainer (train each candidate) or fake (hash scores, no training: for tests)")
	fs.DurationVar(&o.fakeEpoch, "fake-epoch", 10*time.Millisecond, "time per epoch of the fake evaluator")
	fs.Float64Var(&o.validFrac, "valid-frac", 0.1, "fraction of the training images held out for validation (the candidates' score)")
	fs.IntVar(&o.synthN, "synthetic-n", 600, "images of -dataset synthetic (16x16x3, 4 classes)")
	stageOnly := fs.Bool("stage", false, "run only the stage in progress, then stop")
	var caches listFlag
	fs.Var(&caches, "cache", "reuse the results of another ledger trained with the same recipe, seed and data (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	applyCfg()
	if *ledger == "" {
		return errors.New("-ledger is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := recipe.Validate(); err != nil {
		return err
	}
	o.recipe, o.cfg, o.progress = recipe, &cfg, stdout
	ev, dataset, err := newEvaluator(o)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	l, err := nas.OpenLedger(*ledger, nas.LedgerHeader{Config: cfg, Recipe: recipe, Dataset: dataset, Versions: buildVersions(o.evaluator)})
	if err != nil {
		return err
	}
	defer l.Close()
	for _, w := range l.Warnings() {
		fmt.Fprintf(stderr, "warning: %v\n", w)
	}
	s, err := nas.NewSearch(cfg)
	if err != nil {
		return err
	}
	if err := s.UseLedger(l); err != nil {
		return err
	}
	if n := len(s.Decisions()); n > 0 {
		fmt.Fprintf(stdout, "resumed %s: %d candidates recorded\n", *ledger, n)
	}
	for _, c := range caches {
		recs, warns, err := nas.ReadLedger(c)
		if err != nil {
			return fmt.Errorf("-cache: %w", err)
		}
		for _, w := range warns {
			fmt.Fprintf(stderr, "warning: %v\n", w)
		}
		n := s.RememberRecords(recs, recipe, dataset)
		fmt.Fprintf(stdout, "cache %s: %d of %d records have this recipe, seed and data\n", c, n, len(recs))
	}
	s.Before = func(seq int, stage nas.Stage, a nas.Arch) {
		fmt.Fprintf(stdout, "[%s] candidate %d %s: training (%s params)\n", stage, seq, a.Key(), nas.Thousands(a.Params(cfg.InChannels, cfg.Classes)))
	}
	s.Progress = func(d nas.Decision) {
		fmt.Fprintf(stdout, "[%s] candidate %d %s: train %.2f valid %.2f (%.1f s): %s\n", d.Stage, d.Seq, d.Arch.Key(), d.Result.TrainAcc, d.Result.ValidAcc, d.Result.WallSeconds, d.Reason)
		if d.Ends != "" {
			fmt.Fprintf(stdout, "-> %s\n", d.Ends)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *stageOnly {
		err = s.RunStage(ctx, ev)
	} else {
		err = s.Run(ctx, ev)
	}
	if err != nil {
		return fmt.Errorf("%w (the ledger keeps every decision made; run the same command again to resume)", err)
	}
	fmt.Fprintln(stdout)
	return s.WriteTable(stdout)
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return fmt.Sprint(*l) }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// buildVersions names the build for the ledger: module version, Go version,
// GoMLX version and the evaluator.
func buildVersions(evaluator string) string {
	v := "trgnas (unknown build)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = fmt.Sprintf("%s %s %s", bi.Main.Path, bi.Main.Version, bi.GoVersion)
		for _, d := range bi.Deps {
			if d.Path == "github.com/gomlx/gomlx" {
				v += " gomlx " + d.Version
			}
		}
	}
	return v + " evaluator " + evaluator
}
