package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
)

func init() {
	register("report", "print a ledger's search stage by stage, with the final architecture", runReport)
}

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", "--ledger F", stderr)
	path := fs.String("ledger", "", "ledger file (required); it may be in use by a running search")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("-ledger is required")
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
	s, err := nas.NewSearch(lf.Header.Config)
	if err != nil {
		return fmt.Errorf("%s: header: %w", *path, err)
	}
	if err := s.Replay(lf); err != nil {
		return err
	}
	h := lf.Header
	fmt.Fprintf(stdout, "ledger %s: dataset %s, %d epochs per candidate, seed %d, order %s\n", *path, h.Dataset, h.Recipe.Epochs, h.Recipe.Seed, h.Config.Order)
	if w, busy := ledger.Writer(*path); busy {
		fmt.Fprintf(stdout, "being written now by %s: what follows is the ledger so far\n", w)
	}
	if err := s.WriteTable(stdout); err != nil {
		return err
	}
	writeFinals(stdout, lf.Finals())
	recs := lf.Records()
	if used := len(s.Decisions()); len(recs) > used {
		fmt.Fprintf(stdout, "%d of the ledger's %d records were not used by the search (repeated or left by an interrupted run)\n", len(recs)-used, len(recs))
	}
	return nil
}

// writeFinals lists the final records: the networks retrained on all
// training images and scored once on the test set.
func writeFinals(w io.Writer, finals []nas.FinalRecord) {
	if len(finals) == 0 {
		return
	}
	fmt.Fprintln(w, "\nfinal training (all training images, scored once on the test set):")
	fmt.Fprintf(w, "  %-9s %-34s %9s %11s %7s %9s %10s %5s  %s\n", "role", "network", "params", "MACs", "epochs", "test acc", "wall time", "seed", "backend")
	for _, f := range finals {
		acc := fmt.Sprintf("%.2f%%", f.Result.TestAcc)
		if f.Result.Failed {
			acc = "failed"
		}
		fmt.Fprintf(w, "  %-9s %-34s %9s %11s %7d %9s %9.0fs %5d  %s\n", f.Role, f.Result.Arch.Key(), nas.Thousands(f.Result.Params),
			nas.Thousands(int(f.Result.MACs)), f.Recipe.Epochs, acc, f.Result.WallSeconds, f.Recipe.Seed, backendKind(f.Result.Backend))
	}
}

// backendKind is the backend's name without its device details ("xla" of
// "xla (cuda:0 [processId=0])"): records of one network trained on two
// backends differ by more than summation order, so the table says which.
func backendKind(name string) string {
	if k, _, ok := strings.Cut(name, " "); ok {
		return k
	}
	return name
}
