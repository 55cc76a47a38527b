package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/replay"
	"github.com/trgnas/trgnas/nas/runner"
)

func init() {
	register("replay", "re-make a published search log's decisions without training", runReplay)
}

// replayFinal is the "final" object of trgnas replay --json.
type replayFinal struct {
	Depth    int     `json:"depth"`
	Width    int     `json:"width"`
	Ops      []int   `json:"ops"`
	Kernels  []int   `json:"kernels"`
	Params   int     `json:"params"`
	TrainAcc float64 `json:"train_acc"`
	ValidAcc float64 `json:"valid_acc"`
}

// replayCandidate is one element of "candidates" of trgnas replay --json.
type replayCandidate struct {
	Stage        nas.Stage `json:"stage"`
	Width        int       `json:"width"`
	Ops          []int     `json:"ops"`
	Kernels      []int     `json:"kernels"`
	Params       int       `json:"params"`        // Arch.Params(InChannels, Classes)
	LoggedParams int       `json:"logged_params"` // the log's MB value times 10^6, rounded
	TrainAcc     float64   `json:"train_acc"`
	ValidAcc     float64   `json:"valid_acc"`
	Accepted     bool      `json:"accepted"`
}

type replayJSON struct {
	Final      replayFinal       `json:"final"`
	Candidates []replayCandidate `json:"candidates"`
}

func runReplay(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("replay", "--log F", stderr)
	logPath := fs.String("log", "", "search log in the published format (required)")
	asJSON := fs.Bool("json", false, "print one JSON object: the final network and every candidate")
	ledgerPath := fs.String("ledger", "", "also write the replayed search to this ledger (resumed if it exists)")
	released := fs.Bool("released", false, "replay with the released script's rules (all layers, no margins)")
	order := fs.String("order", "", "stage order instead of the published one: ops-kernels, kernels-ops or joint")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *logPath == "" {
		return errors.New("-log is required")
	}
	lg, err := replay.ParseFile(*logPath)
	if err != nil {
		return err
	}
	cfg, err := lg.Config()
	if err != nil {
		return err
	}
	if *released {
		cfg.AllLayers, cfg.OpMargin, cfg.KernelMargin = true, 0, 0
	}
	if *order != "" {
		cfg.Order = nas.Order(*order)
	}
	var journal runner.Journal
	if *ledgerPath != "" {
		recipe, err := lg.Recipe()
		if err != nil {
			return err
		}
		l, err := ledger.Open(*ledgerPath, nas.LedgerHeader{Config: cfg, Recipe: recipe,
			Dataset: fmt.Sprintf("cifar10, scored on the test set (valid_size=0), from the log %s", filepath.Base(*logPath))})
		if err != nil {
			return err
		}
		defer l.Close()
		journal = l
	}
	run, err := runner.New(cfg, journal)
	if err != nil {
		return err
	}
	s := run.Search()
	runErr := run.Run(context.Background(), lg.Evaluator(cfg.InChannels, cfg.Classes))
	if d := lg.Divergence(s.Decisions()); d != "" && runErr == nil {
		fmt.Fprintf(stderr, "note: the replay differs from the log's order: %s\n", d)
	}
	if *asJSON {
		if runErr != nil {
			return runErr
		}
		return json.NewEncoder(stdout).Encode(replayObject(s, lg))
	}
	if err := s.WriteTable(stdout); err != nil {
		return err
	}
	if runErr != nil {
		return runErr
	}
	if lg.Final != nil {
		a, _, _ := s.Best()
		same := "the same as"
		if a.Key() != lg.Final.Arch.Key() {
			same = "DIFFERENT from"
		}
		fmt.Fprintf(stdout, "%s the log's final architecture (%s, %.2f%%); the log's search took %.0f s\n", same, lg.Final.Arch, lg.Final.ValidAcc, lg.TotalSeconds)
	}
	return nil
}

// replayObject builds the --json object. logged_params comes from the log
// candidate that answered each request, in the log's order.
func replayObject(s *nas.Search, lg *replay.Log) replayJSON {
	cfg := s.Config()
	next := map[string]int{}
	logged := func(key string) int {
		for i := next[key]; i < len(lg.Candidates); i++ {
			if c := lg.Candidates[i]; c.Complete && c.Arch.Key() == key {
				next[key] = i + 1
				return c.LoggedParams
			}
		}
		return 0
	}
	out := replayJSON{Candidates: []replayCandidate{}}
	for _, d := range s.Decisions() {
		a := d.Arch
		out.Candidates = append(out.Candidates, replayCandidate{
			Stage: d.Stage, Width: a.Width, Ops: a.Ops, Kernels: a.Kernels,
			Params: a.Params(cfg.InChannels, cfg.Classes), LoggedParams: logged(a.Key()),
			TrainAcc: d.Result.TrainAcc, ValidAcc: d.Result.ValidAcc, Accepted: d.Accepted,
		})
	}
	if a, res, ok := s.Best(); ok {
		out.Final = replayFinal{Depth: a.Depth(), Width: a.Width, Ops: a.Ops, Kernels: a.Kernels,
			Params: a.Params(cfg.InChannels, cfg.Classes), TrainAcc: res.TrainAcc, ValidAcc: res.ValidAcc}
	}
	return out
}
