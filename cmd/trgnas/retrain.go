package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
	"github.com/trgnas/trgnas/nas/train"
	"github.com/trgnas/trgnas/plots"
)

func init() {
	register("retrain", "train some of a search's candidates again at another budget, into a second ledger (for rank agreement)", runRetrain)
}

func runRetrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("retrain", "--ledger F --out F2", stderr)
	path := fs.String("ledger", "", "the search's ledger (required; read only)")
	out := fs.String("out", "", "ledger to write the retrained candidates to (required); created, or resumed when it exists")
	count := fs.Int("count", 8, "how many candidates: spread evenly over the search's ranking, best and worst included (0: all)")
	keys := fs.String("keys", "", "comma-separated keys to retrain instead of -count's choice")
	epochs := fs.Int("epochs", 0, "epochs per candidate (default: the search's)")
	trainLimit := fs.Int("train-limit", -1, "training images per candidate, 0 for all (default: the search's)")
	validLimit := fs.Int("valid-limit", -1, "validation images, 0 for all (default: the search's)")
	seed := fs.Int64("seed", 0, "seed (default: the search's; another seed measures seed noise)")
	backendSpec := fs.String("backend", os.Getenv("GOMLX_BACKEND"), "backend spec: go, xla:cuda, ... (default $GOMLX_BACKEND, else go)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *path == "" || *out == "" {
		return errors.New("-ledger and -out are required")
	}
	lf, warns, err := ledger.ReadFile(*path)
	if err != nil {
		return err
	}
	for _, w := range warns {
		fmt.Fprintf(stderr, "warning: %v\n", w)
	}
	if lf.Header == nil {
		return fmt.Errorf("%s: no header line: not a trgnas ledger", *path)
	}
	if lf.Header.Source == nil {
		return fmt.Errorf("%s: the header does not say where its data came from (written before retrain existed)", *path)
	}
	s, err := nas.NewSearch(lf.Header.Config)
	if err != nil {
		return err
	}
	if err := s.Replay(lf); err != nil {
		return err
	}
	chosen, err := pickCandidates(s.Decisions(), *count, *keys)
	if err != nil {
		return err
	}

	r := lf.Header.Recipe
	if set["epochs"] {
		r.Epochs = *epochs
	}
	if set["train-limit"] {
		r.TrainLimit = *trainLimit
	}
	if set["valid-limit"] {
		r.ValidLimit = *validLimit
	}
	if set["seed"] {
		r.Seed = *seed
	}
	if err := r.Validate(); err != nil {
		return err
	}
	spec := *lf.Header.Source
	_, trainSet, valid, err := ledgerSplit(*path, *lf.Header, spec)
	if err != nil {
		return err
	}
	name := lf.Header.Dataset
	be, err := backend.Open(*backendSpec)
	if err != nil {
		return err
	}
	defer be.Finalize()
	hdr := runner.Spec{Data: spec, Config: lf.Header.Config, Recipe: r}.HeaderFor(name, buildVersions("trainer", backend.Name(be)))
	l, err := ledger.Open(*out, hdr)
	if err != nil {
		return err
	}
	defer l.Close()
	done := map[string]bool{}
	for _, rec := range l.Content().Records() {
		done[rec.Key] = true
	}
	mean, std := normOf(spec.Dataset)
	t := &train.Trainer{Backend: be, Recipe: r, Train: trainSet, Valid: valid, Mean: mean, Std: std}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for i, d := range chosen {
		key := d.Arch.Key()
		if done[key] {
			fmt.Fprintf(stdout, "[%d/%d] %s: already in %s\n", i+1, len(chosen), key, *out)
			continue
		}
		fmt.Fprintf(stdout, "[%d/%d] %s (search: valid %.2f): training %d epochs\n", i+1, len(chosen), key, d.Result.ValidAcc, r.Epochs)
		res, err := t.Evaluate(ctx, d.Arch)
		if err != nil {
			return fmt.Errorf("%w (the ledger %s keeps what is done; run the same command again to resume)", err, *out)
		}
		rec := nas.Record{
			Seq: d.Seq, Key: key, Stage: d.Stage, Accepted: d.Accepted,
			Reason: fmt.Sprintf("retrained from %s candidate %d", *path, d.Seq),
			Recipe: r, Dataset: name, Seed: r.Seed, Result: res, Versions: hdr.Versions, Time: time.Now().UTC(),
		}
		if err := l.Append(rec); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "[%d/%d] %s: valid %.2f (search %.2f), %.1f s\n", i+1, len(chosen), key, res.ValidAcc, d.Result.ValidAcc, res.WallSeconds)
	}
	recs, _, err := ledger.Read(*out)
	if err != nil {
		return err
	}
	ag, err := plots.Agree(lf.Records(), recs)
	if err != nil {
		fmt.Fprintf(stdout, "rank agreement: %v\n", err)
		return nil
	}
	fmt.Fprintf(stdout, "rank agreement of %d candidates, search budget against this one: Kendall tau-b %.4f, Spearman rho %.4f\n", len(ag.Pairs), ag.Tau, ag.Rho)
	return nil
}

// pickCandidates chooses the decisions to retrain: those named in keys,
// or n spread over the ranking (nas.Spread).
func pickCandidates(pool []nas.Decision, n int, keys string) ([]nas.Decision, error) {
	if keys == "" {
		return nas.Spread(pool, n), nil
	}
	byKey := map[string]nas.Decision{}
	for _, d := range pool {
		if _, ok := byKey[d.Arch.Key()]; !ok {
			byKey[d.Arch.Key()] = d
		}
	}
	var out []nas.Decision
	for _, k := range strings.Split(keys, ",") {
		d, ok := byKey[strings.TrimSpace(k)]
		if !ok {
			return nil, fmt.Errorf("-keys: %q is not a trained candidate of the search", k)
		}
		out = append(out, d)
	}
	return out, nil
}
