package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/slurm"
	"github.com/trgnas/trgnas/nas/train"
)

func init() {
	register("train", "train one candidate from scratch, or evaluate a saved one", trainCmd)
}

// trainFlags are the flags of 'trgnas train'.
type trainFlags struct {
	dataset, dataDir, classes             string
	synthN, synthSize, synthC, synthK     int
	synthNoise                            float64
	arch, ops, kernels                    string
	width, depth                          int
	epochs, batch, trainLimit, validLimit int
	cropPad, cutout                       int
	lr, validFrac                         float64
	flip, testFlip, jsonOut, classAcc     bool
	quiet                                 bool
	seed                                  int64
	backend, checkpoint, evalCheckpoint   string
	anneal, specFile                      string
	set                                   map[string]bool
}

func parseTrainFlags(args []string, stderr io.Writer) (*trainFlags, error) {
	f := &trainFlags{}
	def := nas.DefaultRecipe()
	fs := newFlagSet("train", "", stderr)
	fs.StringVar(&f.dataset, "dataset", "mnist", datasetHelp)
	fs.StringVar(&f.dataDir, "data-dir", "", "directory of the dataset files")
	fs.StringVar(&f.classes, "classes", "", "comma-separated class ids to keep (relabelled 0..n-1); empty keeps all")
	fs.IntVar(&f.synthN, "synth-n", 1200, "synthetic: number of images (a sixth is held out as the test set)")
	fs.IntVar(&f.synthSize, "synth-size", 8, "synthetic: image height and width")
	fs.IntVar(&f.synthC, "synth-channels", 1, "synthetic: image channels")
	fs.IntVar(&f.synthK, "synth-classes", 4, "synthetic: number of classes")
	fs.Float64Var(&f.synthNoise, "synth-noise", 0.2, "synthetic: noise level")
	fs.StringVar(&f.arch, "arch", "", "architecture key, e.g. w16-o0000-k3333 (excludes --width/--depth/--ops/--kernels)")
	fs.IntVar(&f.width, "width", 16, "base width C")
	fs.IntVar(&f.depth, "depth", 10, "depth of a uniform SepConv k=3 network (ignored with --ops)")
	fs.StringVar(&f.ops, "ops", "", "comma-separated operations per layer: 0 SepConv, 1 Conv")
	fs.StringVar(&f.kernels, "kernels", "", "comma-separated kernel sizes per layer (3, 5, 7); default all 3")
	fs.IntVar(&f.epochs, "epochs", def.Epochs, "epochs")
	fs.IntVar(&f.batch, "batch", def.BatchSize, "batch size")
	fs.Float64Var(&f.lr, "lr", def.LearningRate, "initial learning rate (cosine-annealed to 0)")
	fs.StringVar(&f.anneal, "anneal", nas.AnnealStep, annealHelp)
	fs.IntVar(&f.trainLimit, "train-limit", 0, "train on at most this many images (0: all)")
	fs.IntVar(&f.validLimit, "valid-limit", 0, "validate on at most this many images (0: all)")
	fs.Float64Var(&f.validFrac, "valid-frac", 0.1, "fraction of the training set held out for validation (stratified, seeded)")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the split, the initialisation and the batches")
	fs.IntVar(&f.cropPad, "crop-pad", 0, cropHelp)
	fs.IntVar(&f.cutout, "cutout", 0, "Cutout square side, 0 off (default: 16 cifar10, 0 otherwise)")
	fs.BoolVar(&f.flip, "flip", false, flipHelp)
	fs.BoolVar(&f.testFlip, "test-flip", false, testFlipHelp)
	fs.StringVar(&f.backend, "backend", os.Getenv("GOMLX_BACKEND"), "backend spec: go, xla:cuda, ... (default $GOMLX_BACKEND, else go)")
	fs.BoolVar(&f.jsonOut, "json", false, "print the result as one JSON object on stdout")
	fs.BoolVar(&f.classAcc, "class-acc", false, "report per-class validation accuracy")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bar and no warnings on stderr")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "save the trained model to this (empty or new) directory")
	fs.StringVar(&f.evalCheckpoint, "eval-checkpoint", "", "evaluate the model saved in this directory on the test set, instead of training")
	fs.StringVar(&f.specFile, "spec", "", "train the network with the recipe and data of this job spec (a Slurm job directory's spec.json); --data-dir may move the data")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	return f, nil
}

// archOf builds the architecture from the flags.
func (f *trainFlags) archOf() (nas.Arch, error) {
	if f.arch != "" {
		for _, n := range []string{"width", "depth", "ops", "kernels"} {
			if f.set[n] {
				return nas.Arch{}, fmt.Errorf("--arch excludes --%s", n)
			}
		}
		return nas.ParseKey(f.arch)
	}
	if f.ops == "" {
		if f.kernels != "" {
			return nas.Arch{}, errors.New("--kernels needs --ops")
		}
		if f.depth < 1 {
			return nas.Arch{}, fmt.Errorf("--depth %d, must be >= 1", f.depth)
		}
		a := nas.Uniform(f.width, f.depth, nas.OpSepConv, 3)
		return a, a.Validate()
	}
	ops, err := intList("ops", f.ops)
	if err != nil {
		return nas.Arch{}, err
	}
	if f.set["depth"] && f.depth != len(ops) {
		return nas.Arch{}, fmt.Errorf("--depth %d but --ops lists %d layers", f.depth, len(ops))
	}
	kernels := make([]int, len(ops))
	for i := range kernels {
		kernels[i] = 3
	}
	if f.kernels != "" {
		if kernels, err = intList("kernels", f.kernels); err != nil {
			return nas.Arch{}, err
		}
	}
	a := nas.Arch{Width: f.width, Ops: ops, Kernels: kernels}
	return a, a.Validate()
}

// recipeOf builds the recipe from the flags and the dataset's defaults.
func (f *trainFlags) recipeOf() nas.Recipe {
	r := nas.DefaultRecipe()
	r.Epochs, r.BatchSize, r.LearningRate = f.epochs, f.batch, f.lr
	r.TrainLimit, r.ValidLimit, r.Seed = f.trainLimit, f.validLimit, f.seed
	r.Anneal = annealValue(f.anneal) // Validate names a bad value
	r.TestFlip = f.testFlip
	datasetRecipe(&r, f.dataset, augFlags{cropPad: f.cropPad, cutout: f.cutout, flip: f.flip}, f.set)
	return r
}

// spec is the data.Spec of the flags.
func (f *trainFlags) spec() (data.Spec, error) {
	return dataSpec(f.dataset, f.dataDir, f.classes, f.validFrac, f.seed, data.SyntheticConfig{
		N: f.synthN, H: f.synthSize, C: f.synthC, Classes: f.synthK, Noise: f.synthNoise,
	})
}

func trainCmd(args []string, stdout, stderr io.Writer) error {
	f, err := parseTrainFlags(args, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if f.evalCheckpoint != "" {
		return evalCheckpointCmd(ctx, f, stdout)
	}
	a, r, spec, want, err := f.setup()
	if err != nil {
		return err
	}
	for _, w := range r.Warnings() {
		if !f.quiet {
			fmt.Fprintln(stderr, "warning:", w)
		}
	}
	trainSet, valid, name, err := spec.Split()
	if err != nil {
		return err
	}
	if want != "" && name != want {
		return fmt.Errorf("%s: the data found is %q, not the search's %q (another directory or other files: see --data-dir)", f.specFile, name, want)
	}
	be, err := backend.Open(f.backend)
	if err != nil {
		return err
	}
	defer be.Finalize()
	mean, std := normOf(spec.Dataset)
	cfg := train.Config{
		Backend: be, Arch: a, Recipe: r, Train: trainSet, Valid: valid, Mean: mean, Std: std,
		ClassAcc: f.classAcc, CheckpointDir: f.checkpoint,
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "training %s on %s (%d train, %d valid images; %d params) with backend %s\n",
			a, trainSet.Name, min(trainSet.N, nonZero(r.TrainLimit, trainSet.N)), min(valid.N, nonZero(r.ValidLimit, valid.N)),
			a.Params(trainSet.C, len(trainSet.Classes)), backend.Name(be))
		bar := &progressBar{w: stderr}
		cfg.Progress = bar.update
	}
	res, err := train.Train(ctx, cfg)
	if err != nil {
		return err
	}
	if f.jsonOut {
		if err := json.NewEncoder(stdout).Encode(res); err != nil {
			return err
		}
	} else {
		printResult(stdout, res, r, trainSet.Classes)
	}
	if res.Failed {
		return fmt.Errorf("candidate failed: %s", res.Error)
	}
	return nil
}

// specFlags are the flags that --spec allows beside it: how to train and
// report, not what.
var specFlags = map[string]bool{"spec": true, "data-dir": true, "backend": true, "json": true, "quiet": true, "class-acc": true, "checkpoint": true}

// setup returns the network, recipe and data to train, from the flags or
// from a job spec (with the data name the spec expects).
func (f *trainFlags) setup() (a nas.Arch, r nas.Recipe, spec data.Spec, want string, err error) {
	if f.specFile == "" {
		if a, err = f.archOf(); err != nil {
			return
		}
		r = f.recipeOf()
		if err = r.Validate(); err != nil {
			return
		}
		spec, err = f.spec()
		return a, r, spec, "", err
	}
	for n := range f.set {
		if !specFlags[n] {
			return a, r, spec, "", fmt.Errorf("--%s with --spec: the job spec gives the network, recipe and data", n)
		}
	}
	js, err := slurm.ReadJobSpec(f.specFile)
	if err != nil {
		return a, r, spec, "", err
	}
	spec = *js.Data
	if f.set["data-dir"] {
		spec.Dir = f.dataDir
	}
	return js.Arch, js.Recipe, spec, js.Dataset, nil
}

func nonZero(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

func evalCheckpointCmd(ctx context.Context, f *trainFlags, stdout io.Writer) error {
	spec, err := f.spec()
	if err != nil {
		return err
	}
	test, err := spec.Test()
	if err != nil {
		return err
	}
	be, err := backend.Open(f.backend)
	if err != nil {
		return err
	}
	defer be.Finalize()
	ev, err := train.EvalCheckpoint(ctx, be, f.evalCheckpoint, test, f.batch)
	if err != nil {
		return err
	}
	if f.jsonOut {
		return json.NewEncoder(stdout).Encode(ev)
	}
	fmt.Fprintf(stdout, "test set      %s (%d images)\n", ev.Dataset, ev.N)
	fmt.Fprintf(stdout, "test accuracy %.2f%%\ntest loss     %.4f\n", ev.Acc, ev.Loss)
	printClassAcc(stdout, ev.ClassAcc, test.Classes)
	return nil
}

// printResult writes the result as a table, with the recipe it was trained with.
func printResult(w io.Writer, res nas.Result, r nas.Recipe, classes []string) {
	fmt.Fprintf(w, "%-6s %-9s %-10s %-10s %-10s %-10s %-8s\n", "epoch", "lr", "train_loss", "train_acc", "valid_loss", "valid_acc", "seconds")
	for _, e := range res.Curve {
		fmt.Fprintf(w, "%-6d %-9.5f %-10.4f %-10.2f %-10.4f %-10.2f %-8.1f\n", e.Epoch, e.LR, e.TrainLoss, e.TrainAcc, e.ValidLoss, e.ValidAcc, e.Seconds)
	}
	fmt.Fprintf(w, "\narch             %s (key %s)\n", res.Arch, res.Arch.Key())
	printRecipe(w, r)
	fmt.Fprintf(w, "params           %d\nMACs             %d\n", res.Params, res.MACs)
	fmt.Fprintf(w, "best valid acc   %.2f%%\nbest train acc   %.2f%%\n", res.ValidAcc, res.TrainAcc)
	fmt.Fprintf(w, "final valid acc  %.2f%%\nfinal train acc  %.2f%%\n", res.FinalValidAcc, res.FinalTrainAcc)
	if r.TestFlip {
		fmt.Fprintf(w, "  without flip   %.2f%% (final valid acc from the images alone)\n", res.FinalValidAccNoFlip)
	}
	fmt.Fprintf(w, "wall time        %.1f s (compile %.1f s apart)\nimages/s         %.1f\nbackend          %s\n",
		res.WallSeconds, res.CompileSeconds, res.ImagesPerSec, res.Backend)
	if res.Failed {
		fmt.Fprintf(w, "FAILED           %s\n", res.Error)
	}
	printClassAcc(w, res.ClassAcc, classes)
}

// printRecipe writes the recipe line of the result tables.
func printRecipe(w io.Writer, r nas.Recipe) {
	fmt.Fprintf(w, "recipe           epochs %d, batch %d, lr %g, anneal %s, crop-pad %d, flip %t, cutout %d, seed %d",
		r.Epochs, r.BatchSize, r.LearningRate, annealName(r.Anneal), r.CropPad, r.Flip, r.CutoutSize, r.Seed)
	if r.TestFlip {
		fmt.Fprint(w, ", test-flip")
	}
	fmt.Fprintln(w)
}

func printClassAcc(w io.Writer, acc []float64, classes []string) {
	if len(acc) == 0 {
		return
	}
	fmt.Fprintln(w, "\nclass accuracy:")
	for i, a := range acc {
		name := strconv.Itoa(i)
		if i < len(classes) {
			name = classes[i]
		}
		fmt.Fprintf(w, "  %-12s %.2f%%\n", name, a)
	}
}

// progressBar renders train.Progress on one terminal line per epoch.
type progressBar struct {
	w       io.Writer
	last    time.Time
	noValid bool // training without a validation set (the final step)
	width   int  // length of the line now on the row
}

func (b *progressBar) update(p train.Progress) {
	if p.Done != nil {
		// The line stays on screen: the epoch's own figures, then the time
		// the rest of the run should take (measured over whole epochs).
		line := b.line(p)
		if !b.noValid {
			line += fmt.Sprintf("  valid %.2f%%", p.Done.ValidAcc)
		}
		line += fmt.Sprintf("  %.1fs", p.Done.Seconds)
		if p.Epoch < p.Epochs-1 {
			line += fmt.Sprintf(", about %s left", p.ETA.Round(time.Second))
		}
		fmt.Fprintf(b.w, "\r%s\n", b.pad(line))
		b.width = 0
		return
	}
	if time.Since(b.last) < 250*time.Millisecond && p.Step != p.Steps {
		return
	}
	b.last = time.Now()
	fmt.Fprintf(b.w, "\r%s", b.pad(b.line(p)))
}

// pad blanks what is left of a longer line printed before on the same row.
func (b *progressBar) pad(line string) string {
	n := len(line)
	if n < b.width {
		line += strings.Repeat(" ", b.width-n)
	}
	b.width = n
	return line
}

func (b *progressBar) line(p train.Progress) string {
	const width = 24
	filled := 0
	if p.Steps > 0 {
		filled = width * p.Step / p.Steps
	}
	s := fmt.Sprintf("epoch %d/%d [%s%s] %d/%d  %.0f img/s  loss %.4f  acc %.2f%%  lr %.5f",
		p.Epoch+1, p.Epochs, strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Step, p.Steps,
		p.ImagesPerSec, p.Loss, p.Acc, p.LR)
	if p.Done == nil {
		s += "  ETA " + p.ETA.Round(time.Second).String()
	}
	return s
}
