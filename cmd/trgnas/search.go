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
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
	"github.com/trgnas/trgnas/nas/slurm"
	"github.com/trgnas/trgnas/nas/train"
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
	fs.IntVar(&c.MaxParams, "max-params", c.MaxParams, "parameter budget: candidates with more parameters are never trained (0: none)")
	fs.BoolVar(&c.AllLayers, "all-layers", c.AllLayers, "search operations and kernels on all layers (default: the first 2L/3)")
	order := fs.String("order", string(c.Order), "stages after depth and width: ops-kernels, kernels-ops or joint")
	released := fs.Bool("released", false, "the authors' released script: all layers, no margins, and the published per-epoch annealing (unless -anneal)")
	return func() {
		c.Order = nas.Order(*order)
		if *released {
			c.AllLayers, c.OpMargin, c.KernelMargin = true, 0, 0
		}
	}
}

// recipeFlags registers the training recipe's flags on fs, named as those
// of trgnas train. The augmentation flags default by dataset (see
// datasetRecipe).
func recipeFlags(fs *flag.FlagSet, r *nas.Recipe, aug *augFlags) {
	fs.IntVar(&r.Epochs, "epochs", r.Epochs, "epochs per candidate")
	fs.IntVar(&r.BatchSize, "batch", r.BatchSize, "batch size")
	fs.Float64Var(&r.LearningRate, "lr", r.LearningRate, "initial learning rate (cosine-annealed to 0)")
	r.Anneal = nas.AnnealStep
	fs.Func("anneal", annealHelp, func(v string) error {
		if v != nas.AnnealEpoch && v != nas.AnnealStep {
			return fmt.Errorf("want %q or %q", nas.AnnealEpoch, nas.AnnealStep)
		}
		r.Anneal = annealValue(v)
		return nil
	})
	fs.Float64Var(&r.Momentum, "momentum", r.Momentum, "SGD momentum")
	fs.Float64Var(&r.WeightDecay, "weight-decay", r.WeightDecay, "weight decay")
	fs.Float64Var(&r.GradClip, "grad-clip", r.GradClip, "global gradient norm clip (0: off)")
	fs.IntVar(&r.TrainLimit, "train-limit", r.TrainLimit, "train on at most this many images (0: all)")
	fs.IntVar(&r.ValidLimit, "valid-limit", r.ValidLimit, "validate on at most this many images (0: all)")
	fs.Int64Var(&r.Seed, "seed", r.Seed, "seed of the split, the initialisation and the batches")
	fs.IntVar(&aug.cropPad, "crop-pad", 0, cropHelp)
	fs.IntVar(&aug.cutout, "cutout", 0, "Cutout square side, 0 off (default: 16 cifar10, 0 otherwise)")
	fs.BoolVar(&aug.flip, "flip", false, flipHelp)
	fs.BoolVar(&r.TestFlip, "test-flip", r.TestFlip, testFlipHelp)
}

// augFlags are the augmentation flags, applied over the dataset's defaults
// when given.
type augFlags struct {
	cropPad, cutout int
	flip            bool
}

// datasetRecipe sets r's augmentation: the dataset's defaults (as trgnas
// train: CIFAR-10 crop 4, Cutout 16, flips; MNIST crop 2; synthetic none),
// then the flags that were given (set).
func datasetRecipe(r *nas.Recipe, dataset string, aug augFlags, set map[string]bool) {
	crop, cutout, flip := augDefaults(dataset)
	if set["crop-pad"] {
		crop = aug.cropPad
	}
	if set["cutout"] {
		cutout = aug.cutout
	}
	if set["flip"] {
		flip = aug.flip
	}
	r.CropPad, r.Flip = crop, flip
	r.Cutout, r.CutoutSize = cutout > 0, max(cutout, 0)
}

// evalOptions says which evaluator trgnas search uses.
type evalOptions struct {
	evaluator string // "trainer" or "fake"
	dataset   string
	dataDir   string
	classes   string
	backend   string
	fakeEpoch time.Duration
	validFrac float64
	synth     data.SyntheticConfig
	slurm     slurm.Config
	recipe    nas.Recipe
	cfg       *nas.Config // InChannels and Classes are set from the data
	progress  io.Writer
}

// evalSetup is what newEvaluator builds for trgnas search.
type evalSetup struct {
	ev      nas.Evaluator
	dataset string // the data, with its fingerprint, for the ledger header
	source  *data.Spec
	backend string // the backend's name, for the ledger header
	close   func()
}

// newEvaluator builds the evaluator of trgnas search: the trainer (train.Trainer
// on the -dataset data with the recipe, on the -backend backend), or the
// fake. For the trainer it sets o.cfg's InChannels and Classes from the data.
func newEvaluator(o evalOptions) (evalSetup, error) {
	switch o.evaluator {
	case "fake":
		return evalSetup{
			ev:      fakeEvaluator{epochs: o.recipe.Epochs, seed: o.recipe.Seed, perEpoch: o.fakeEpoch, w: o.progress},
			dataset: fmt.Sprintf("fake-scores seed %d", o.recipe.Seed), backend: "none", close: func() {},
		}, nil
	case "trainer":
		spec, err := o.spec()
		if err != nil {
			return evalSetup{}, err
		}
		trainSet, valid, name, err := spec.Split()
		if err != nil {
			return evalSetup{}, err
		}
		o.cfg.InChannels, o.cfg.Classes = trainSet.C, len(trainSet.Classes)
		be, err := backend.Open(o.backend)
		if err != nil {
			return evalSetup{}, err
		}
		t := &train.Trainer{Backend: be, Recipe: o.recipe, Train: trainSet, Valid: valid}
		t.Mean, t.Std = normOf(o.dataset)
		if o.progress != nil {
			w := o.progress
			t.Progress = func(a nas.Arch, p train.Progress) {
				if e := p.Done; e != nil {
					fmt.Fprintf(w, "    epoch %d/%d loss %.4f train %.2f valid %.2f lr %.5f (%.1f s, %.0f img/s)\n",
						p.Epoch+1, p.Epochs, e.TrainLoss, e.TrainAcc, e.ValidAcc, e.LR, e.Seconds, p.ImagesPerSec)
				}
			}
		}
		return evalSetup{ev: t, dataset: name, source: &spec, backend: backend.Name(be), close: be.Finalize}, nil
	case "slurm":
		if o.slurm.WorkDir == "" {
			return evalSetup{}, errors.New("-evaluator slurm needs -slurm-dir (a job directory on the filesystem the nodes share)")
		}
		spec, err := o.spec()
		if err != nil {
			return evalSetup{}, err
		}
		trainSet, _, name, err := spec.Split()
		if err != nil {
			return evalSetup{}, err
		}
		o.cfg.InChannels, o.cfg.Classes = trainSet.C, len(trainSet.Classes)
		// The jobs read the data from their spec.json, from wherever they
		// run: a relative directory is made absolute.
		jobData := spec
		if jobData.Dir != "" {
			if jobData.Dir, err = filepath.Abs(jobData.Dir); err != nil {
				return evalSetup{}, err
			}
		}
		sc := o.slurm
		sc.Recipe, sc.Dataset, sc.Data, sc.DataArgs = o.recipe, name, &jobData, dataArgs(o)
		ev, err := slurm.New(sc)
		if err != nil {
			return evalSetup{}, err
		}
		return evalSetup{ev: ev, dataset: name, source: &spec, backend: "slurm jobs", close: func() {}}, nil
	}
	return evalSetup{}, fmt.Errorf("-evaluator %q: want trainer, slurm or fake", o.evaluator)
}

// dataArgs are the trgnas train flags that select the same data as the
// search's flags, for the command of a Slurm job.
func dataArgs(o evalOptions) string {
	args := []string{"--dataset", o.dataset}
	if o.dataDir != "" {
		args = append(args, "--data-dir", shellQuote(o.dataDir))
	}
	if o.classes != "" {
		args = append(args, "--classes", shellQuote(o.classes))
	}
	if o.dataset == "synthetic" {
		args = append(args, "--synth-n", strconv.Itoa(o.synth.N), "--synth-size", strconv.Itoa(o.synth.H),
			"--synth-channels", strconv.Itoa(o.synth.C), "--synth-classes", strconv.Itoa(o.synth.Classes),
			"--synth-noise", strconv.FormatFloat(o.synth.Noise, 'g', -1, 64))
	}
	args = append(args, "--valid-frac", strconv.FormatFloat(o.validFrac, 'g', -1, 64))
	if o.backend != "" {
		args = append(args, "--backend", shellQuote(o.backend))
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// spec is the data.Spec of the search's flags.
func (o evalOptions) spec() (data.Spec, error) {
	return dataSpec(o.dataset, o.dataDir, o.classes, o.validFrac, o.recipe.Seed, o.synth)
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
	fs := newFlagSet("search", "--ledger F", stderr)
	cfg, recipe := nas.DefaultConfig(), nas.DefaultRecipe()
	applyCfg := configFlags(fs, &cfg)
	var aug augFlags
	recipeFlags(fs, &recipe, &aug)
	o := evalOptions{}
	ledgerPath := fs.String("ledger", "", "ledger file (JSON lines); created, or resumed when it exists (required)")
	fs.StringVar(&o.dataset, "dataset", "mnist", datasetHelp)
	fs.StringVar(&o.dataDir, "data-dir", "", "directory of the dataset files")
	fs.StringVar(&o.classes, "classes", "", "comma-separated class ids to keep (relabelled 0..n-1); empty keeps all")
	fs.StringVar(&o.backend, "backend", os.Getenv("GOMLX_BACKEND"), "backend spec: go, xla:cuda, ... (default $GOMLX_BACKEND, else go)")
	fs.StringVar(&o.evaluator, "evaluator", "trainer", "trainer (train each candidate here), slurm (one Slurm job per candidate) or fake (hash scores, no training: for tests)")
	parallel := fs.Int("parallel", 1, "candidates in flight at once: the one the search needs and the ones it predicts (runner.Runner.RunParallel); trainer and fake run them in this process on a runner.Pool, slurm as jobs; on a CPU, 2 speeds up searches of small networks, which keep the cores busy poorly one at a time")
	fs.StringVar(&o.slurm.WorkDir, "slurm-dir", "", "slurm: job directory, on a filesystem the nodes share")
	fs.StringVar(&o.slurm.Partition, "slurm-partition", "", "slurm: --partition")
	fs.IntVar(&o.slurm.GPUs, "slurm-gpus", 0, "slurm: GPUs per job (--gres=gpu:N)")
	fs.IntVar(&o.slurm.CPUs, "slurm-cpus", 0, "slurm: --cpus-per-task")
	fs.StringVar(&o.slurm.Mem, "slurm-mem", "", "slurm: --mem, e.g. 32G")
	fs.DurationVar(&o.slurm.Time, "slurm-time", 0, "slurm: --time limit of a job")
	fs.StringVar(&o.slurm.Setup, "slurm-setup", "", "slurm: shell text run in each job before trgnas train")
	fs.StringVar(&o.slurm.Command, "slurm-command", "", "slurm: the job's training command, a text/template of slurm.Spec printing a nas.Result as JSON (default: trgnas train --spec with the job directory's spec.json: network, recipe and data)")
	fs.StringVar(&o.slurm.Name, "slurm-name", "", "slurm: prefix of the job names (default trgnas-)")
	fs.IntVar(&o.slurm.Retries, "slurm-retries", 0, "slurm: resubmissions of a failed or lost job")
	fs.DurationVar(&o.slurm.Poll, "slurm-poll", 0, "slurm: interval between looks at the queue (default 10s)")
	fs.DurationVar(&o.fakeEpoch, "fake-epoch", 10*time.Millisecond, "time per epoch of the fake evaluator")
	fs.Float64Var(&o.validFrac, "valid-frac", 0.1, "fraction of the training images held out for validation (the candidates' score)")
	fs.IntVar(&o.synth.N, "synth-n", 1200, "synthetic: number of images (a sixth is held out as the test set)")
	fs.IntVar(&o.synth.H, "synth-size", 8, "synthetic: image height and width")
	fs.IntVar(&o.synth.C, "synth-channels", 1, "synthetic: image channels")
	fs.IntVar(&o.synth.Classes, "synth-classes", 4, "synthetic: number of classes")
	fs.Float64Var(&o.synth.Noise, "synth-noise", 0.2, "synthetic: noise level")
	stageOnly := fs.Bool("stage", false, "run only the stage in progress, then stop")
	statusEvery := fs.Duration("status-every", 30*time.Second, "with -parallel > 1 or -evaluator slurm: print the candidates in flight this often (0: never)")
	var caches listFlag
	fs.Var(&caches, "cache", "reuse the results of another ledger trained with the same recipe, seed and data (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	applyCfg()
	o.synth.W = o.synth.H
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	datasetRecipe(&recipe, o.dataset, aug, set)
	if set["released"] && !set["anneal"] {
		recipe.Anneal = "" // the authors' script anneals per epoch
	}
	if *ledgerPath == "" {
		return errors.New("-ledger is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := recipe.Validate(); err != nil {
		return err
	}
	for _, w := range recipe.Warnings() {
		fmt.Fprintln(stderr, "warning:", w)
	}
	stdout = &syncWriter{w: stdout}
	o.recipe, o.cfg, o.progress = recipe, &cfg, stdout
	setup, err := newEvaluator(o)
	if err != nil {
		return err
	}
	defer setup.close()
	ev, dataset := setup.ev, setup.dataset
	if *parallel > 1 && o.evaluator != "slurm" {
		// One slot per candidate in flight, all on this process's backend.
		pool, err := runner.NewPool(*parallel, func(int) (nas.Evaluator, error) { return setup.ev, nil })
		if err != nil {
			return err
		}
		ev = pool
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	versions := buildVersions(o.evaluator, setup.backend)
	// The fake evaluator reads no data: its header names the fake scores.
	hdr := nas.LedgerHeader{Config: cfg, Recipe: recipe, Dataset: dataset, Versions: versions}
	if setup.source != nil {
		hdr = runner.Spec{Data: *setup.source, Config: cfg, Recipe: recipe}.HeaderFor(dataset, versions)
	}
	run, err := runner.OpenHeader(*ledgerPath, hdr)
	if err != nil {
		return err
	}
	defer run.Close()
	for _, w := range run.Warnings() {
		fmt.Fprintf(stderr, "warning: %v\n", w)
	}
	s := run.Search()
	if n := len(s.Decisions()); n > 0 {
		fmt.Fprintf(stdout, "resumed %s: %d candidates recorded\n", *ledgerPath, n)
	}
	for _, c := range caches {
		recs, warns, err := ledger.Read(c)
		if err != nil {
			return fmt.Errorf("-cache: %w", err)
		}
		for _, w := range warns {
			fmt.Fprintf(stderr, "warning: %v\n", w)
		}
		n := run.RememberRecords(recs, recipe, dataset)
		fmt.Fprintf(stdout, "cache %s: %d of %d records have this recipe, seed and data\n", c, n, len(recs))
	}
	run.Before = func(seq int, stage nas.Stage, a nas.Arch) {
		who := fmt.Sprintf("candidate %d", seq)
		if seq < 0 {
			who = "ahead"
		}
		fmt.Fprintf(stdout, "[%s] %s %s: training (%s params)\n", stage, who, a.Key(), nas.Thousands(a.Params(cfg.InChannels, cfg.Classes)))
	}
	run.Progress = func(d nas.Decision) {
		fmt.Fprintf(stdout, "[%s] candidate %d %s: train %.2f valid %.2f (%.1f s): %s\n", d.Stage, d.Seq, d.Arch.Key(), d.Result.TrainAcc, d.Result.ValidAcc, d.Result.WallSeconds, d.Reason)
		if d.Ends != "" {
			fmt.Fprintf(stdout, "-> %s\n", d.Ends)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if lister := inFlightLister(ev); lister != nil && *statusEvery > 0 && (*parallel > 1 || o.evaluator == "slurm") {
		done := make(chan struct{})
		defer close(done)
		go printStatus(stdout, lister, *statusEvery, done)
	}
	switch {
	case *stageOnly:
		err = run.RunStage(ctx, ev)
	case *parallel > 1:
		err = run.RunParallel(ctx, ev, *parallel)
	default:
		err = run.Run(ctx, ev)
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
// the versions of GoMLX and of its compute module (which holds the
// backends), the evaluator and the backend.
func buildVersions(evaluator, backendName string) string {
	v := "trgnas (unknown build)"
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = fmt.Sprintf("%s %s %s", bi.Main.Path, bi.Main.Version, bi.GoVersion)
		deps := map[string]string{}
		for _, d := range bi.Deps {
			deps[d.Path] = d.Version
		}
		for _, m := range []struct{ name, path string }{
			{"gomlx", "github.com/gomlx/gomlx"},
			{"compute", "github.com/gomlx/compute"},
		} {
			if version, ok := deps[m.path]; ok {
				v += " " + m.name + " " + version
			}
		}
	}
	return v + " evaluator " + evaluator + " backend " + backendName
}
