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
	"syscall"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/train"
)

func init() {
	register("final", "retrain a search's network on all training images and score it once on the test set", runFinal)
}

func runFinal(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("final", "--ledger F --epochs N", stderr)
	path := fs.String("ledger", "", "the search's ledger (required); the final record is appended to it")
	epochs := fs.Int("epochs", 0, "epochs of the final training (required)")
	arch := fs.String("arch", "", "train this network (a baseline, e.g. w32-o000000000-k333333333) instead of the one the search found")
	lr := fs.Float64("lr", 0, "initial learning rate (default: the search's)")
	batch := fs.Int("batch", 0, "batch size (default: the search's)")
	seed := fs.Int64("seed", 0, "seed of the initialisation and the batches (default: the search's)")
	anneal := fs.String("anneal", "", "step or epoch (default: the search's)")
	var aug augFlags
	fs.IntVar(&aug.cropPad, "crop-pad", 0, "random-crop padding in pixels (default: the search's)")
	fs.IntVar(&aug.cutout, "cutout", 0, "Cutout square side, 0 off (default: the search's)")
	fs.BoolVar(&aug.flip, "flip", false, "random horizontal flip (default: the search's)")
	testFlip := fs.Bool("test-flip", false, "score each test image with its mirror image too (default: the search's)")
	dataset := fs.String("dataset", "", "dataset, for ledgers written before the header recorded its source (default: the ledger's)")
	dataDir := fs.String("data-dir", "", "directory of the dataset files (default: the ledger's)")
	backendSpec := fs.String("backend", os.Getenv("GOMLX_BACKEND"), "backend spec: go, xla:cuda, ... (default $GOMLX_BACKEND, else go)")
	classAcc := fs.Bool("class-acc", false, "record per-class test accuracy")
	jsonOut := fs.Bool("json", false, "print the final record as one JSON object on stdout")
	quiet := fs.Bool("quiet", false, "no progress bar on stderr")
	var caches listFlag
	fs.Var(&caches, "cache", "reuse a finished final record of another ledger with the same data, network, recipe and test set, made for either role (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *path == "" {
		return errors.New("-ledger is required")
	}
	if *epochs < 1 {
		return fmt.Errorf("-epochs %d: the final training needs at least 1 epoch (say how many)", *epochs)
	}
	l, err := ledger.OpenAppend(*path)
	if err != nil {
		return err
	}
	defer l.Close()
	for _, w := range l.Warnings() {
		fmt.Fprintf(stderr, "warning: %v\n", w)
	}
	hdr := l.Header()

	// The network: the search's, or the one named.
	role := nas.RoleFound
	var a nas.Arch
	if *arch != "" {
		if a, err = nas.ParseKey(*arch); err != nil {
			return fmt.Errorf("-arch: %w", err)
		}
		role = nas.RoleBaseline
	} else if a, _, err = nas.FoundArch(l.Content()); err != nil {
		return err
	}

	// The recipe: the search's, on every training image, with the flags.
	r := hdr.Recipe
	r.Epochs, r.TrainLimit, r.ValidLimit = *epochs, 0, 0
	if set["lr"] {
		r.LearningRate = *lr
	}
	if set["batch"] {
		r.BatchSize = *batch
	}
	if set["seed"] {
		r.Seed = *seed
	}
	if set["anneal"] {
		r.Anneal = annealValue(*anneal)
	}
	if set["crop-pad"] {
		r.CropPad = aug.cropPad
	}
	if set["cutout"] {
		r.Cutout, r.CutoutSize = aug.cutout > 0, max(aug.cutout, 0)
	}
	if set["flip"] {
		r.Flip = aug.flip
	}
	if set["test-flip"] {
		r.TestFlip = *testFlip
	}
	if err := r.Validate(); err != nil {
		return err
	}

	// The data: the ledger's source, checked against its identity.
	spec, err := finalSpec(hdr, *dataset, *dataDir, set)
	if err != nil {
		return fmt.Errorf("ledger %s: %w", *path, err)
	}
	full, _, _, err := ledgerSplit(*path, hdr, spec)
	if err != nil {
		return err
	}
	test, err := spec.Test()
	if err != nil {
		return err
	}
	be, err := backend.Open(*backendSpec)
	if err != nil {
		return err
	}
	defer be.Finalize()
	mean, std := normOf(spec.Dataset)
	cfg := train.FinalConfig{
		Backend: be, Ledger: l, Arch: a, Role: role, Recipe: r, Train: full, Test: test,
		Mean: mean, Std: std, ClassAcc: *classAcc, Versions: buildVersions("trainer", backend.Name(be)),
	}
	if !*quiet {
		fmt.Fprintf(stderr, "final training of the %s network %s (%s params) on all %d images of %s, %d epochs; then the %d test images\n",
			role, a.Key(), nas.Thousands(a.Params(full.C, len(full.Classes))), full.N, full.Name, r.Epochs, test.N)
		bar := &progressBar{w: stderr, noValid: true}
		cfg.Progress = bar.update
	}
	for _, c := range caches {
		lf, warns, err := ledger.ReadFile(c)
		if err != nil {
			return fmt.Errorf("-cache: %w", err)
		}
		for _, w := range warns {
			fmt.Fprintf(stderr, "warning: %v\n", w)
		}
		cfg.Cache = append(cfg.Cache, lf.Finals()...)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rec, cached, err := train.Final(ctx, cfg)
	if err != nil {
		return err
	}
	if cached && !*quiet {
		fmt.Fprintf(stderr, "the ledger already has this final record (%s): nothing trained\n", rec.Time.Format("2006-01-02 15:04"))
	}
	if *jsonOut {
		return json.NewEncoder(stdout).Encode(rec)
	}
	printFinal(stdout, rec, test.Classes)
	if rec.Result.Failed {
		return fmt.Errorf("final training failed: %s", rec.Result.Error)
	}
	return nil
}

// finalSpec is the data of the final step: the ledger header's source, or
// the flags for a ledger without one (or to point at moved files).
func finalSpec(hdr nas.LedgerHeader, dataset, dir string, set map[string]bool) (data.Spec, error) {
	if hdr.Source == nil {
		if dataset == "" {
			return data.Spec{}, fmt.Errorf("the header does not say where its data %q came from (written before the final step existed): pass -dataset (and -data-dir)", hdr.Dataset)
		}
		return dataSpec(dataset, dir, "", 0.1, hdr.Recipe.Seed, data.SyntheticConfig{})
	}
	s := *hdr.Source
	if set["dataset"] {
		s.Dataset = dataset
	}
	if set["data-dir"] {
		s.Dir = dir
	}
	return s, s.Validate()
}

// printFinal writes a final record as a table.
func printFinal(w io.Writer, f nas.FinalRecord, classes []string) {
	res := f.Result
	fmt.Fprintf(w, "%-6s %-9s %-10s %-10s %-8s\n", "epoch", "lr", "train_loss", "train_acc", "seconds")
	for _, e := range res.Curve {
		fmt.Fprintf(w, "%-6d %-9.5f %-10.4f %-10.2f %-8.1f\n", e.Epoch, e.LR, e.TrainLoss, e.TrainAcc, e.Seconds)
	}
	fmt.Fprintf(w, "\n%-16s %s\n", f.Role+" network", res.Arch.Key())
	r := f.Recipe
	printRecipe(w, r)
	fmt.Fprintf(w, "trained on       %d images (%s)\ntest set         %d images (%s)\n", f.TrainImages, f.Dataset, f.TestImages, f.TestSet)
	fmt.Fprintf(w, "test accuracy    %.2f%%\ntest loss        %.4f\n", res.TestAcc, res.TestLoss)
	if r.TestFlip {
		fmt.Fprintf(w, "  without flip   %.2f%% (from the images alone)\n", res.TestAccNoFlip)
	}
	fmt.Fprintf(w, "params           %d\nMACs             %d\n", res.Params, res.MACs)
	fmt.Fprintf(w, "wall time        %.1f s (compile %.1f s apart)\nimages/s         %.1f\nbackend          %s\n",
		res.WallSeconds, res.CompileSeconds, res.ImagesPerSec, res.Backend)
	printClassAcc(w, res.ClassAcc, classes)
}

// annealName is the --anneal value of a Recipe.Anneal.
func annealName(v string) string {
	if v == "" {
		return nas.AnnealEpoch
	}
	return v
}

// ledgerSplit reads the whole training set of spec and its training and
// validation split, and checks that it is the data the ledger at path
// names.
func ledgerSplit(path string, hdr nas.LedgerHeader, spec data.Spec) (full, trainSet, valid *data.Dataset, err error) {
	if full, err = spec.Train(); err != nil {
		return nil, nil, nil, err
	}
	trainSet, valid, name, err := spec.SplitOf(full)
	if err != nil {
		return nil, nil, nil, err
	}
	if name != hdr.Dataset {
		return nil, nil, nil, fmt.Errorf("ledger %s: these files are not the search's data: the ledger has %q, they give %q", path, hdr.Dataset, name)
	}
	return full, trainSet, valid, nil
}
