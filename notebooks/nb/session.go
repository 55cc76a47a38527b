package nb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
	"github.com/trgnas/trgnas/nas/train"
)

// Session is a search resumed from its ledger, with a trainer on the
// default backend that notes what it trains. GoNB runs each cell as a new
// program, so a notebook that runs a search a stage per cell opens a
// session in each cell: what the ledger holds is replayed, not trained.
type Session struct {
	Runner   *runner.Runner
	Search   *nas.Search
	Trainer  *train.Trainer
	Path     string   // the ledger
	Recorded []string // keys of the decisions the ledger held when opened
	Trained  []string // keys trained since
	// Out receives a line per decision as it is made (os.Stdout; nil: none).
	Out io.Writer
}

// Open resumes the search of spec from the ledger at path, or starts it
// there when the file does not exist. It reads the data spec names.
func Open(path string, spec runner.Spec) (*Session, error) {
	trainSet, valid, hdr, err := spec.Load("")
	if err != nil {
		return nil, err
	}
	r, err := runner.OpenHeader(path, hdr)
	if err != nil {
		return nil, err
	}
	be, err := backend.Open("")
	if err != nil {
		r.Close()
		return nil, err
	}
	s := &Session{
		Runner: r, Search: r.Search(), Path: path, Out: os.Stdout,
		Trainer: &train.Trainer{Backend: be, Recipe: spec.Recipe, Train: trainSet, Valid: valid},
	}
	for _, d := range s.Search.Decisions() {
		s.Recorded = append(s.Recorded, d.Arch.Key())
	}
	r.Before = func(_ int, _ nas.Stage, a nas.Arch) { s.Trained = append(s.Trained, a.Key()) }
	r.Progress = func(d nas.Decision) {
		if s.Out != nil {
			fmt.Fprintf(s.Out, "#%-2d %-9s %-24s %6.2f%%  %s\n", d.Seq, d.Stage, d.Arch.Key(), d.Result.ValidAcc, d.Reason)
		}
	}
	return s, nil
}

// OpenSearch opens the search ledger at path for hdr's experiment, like
// runner.OpenHeader. A ledger there of another experiment (the notebook's
// budget was edited, or an earlier version of the notebook wrote it) is not
// refused: it is renamed aside whole, aside names it, and the search starts
// afresh at path.
func OpenSearch(path string, hdr nas.LedgerHeader) (r *runner.Runner, aside string, err error) {
	r, err = runner.OpenHeader(path, hdr)
	if !errors.Is(err, nas.ErrLedgerMismatch) {
		return r, "", err
	}
	ext := filepath.Ext(path)
	aside = strings.TrimSuffix(path, ext) + "-" + time.Now().UTC().Format("20060102T150405") + ext
	if _, serr := os.Lstat(aside); serr == nil {
		return nil, "", fmt.Errorf("%w (not set aside: %s exists)", err, aside)
	}
	if rerr := os.Rename(path, aside); rerr != nil {
		return nil, "", fmt.Errorf("%w (not set aside: %v)", err, rerr)
	}
	r, err = runner.OpenHeader(path, hdr)
	return r, aside, err
}

// Resume is Open with the spec the ledger's header records: after a
// kernel restart the ledger alone is enough to go on.
func Resume(path string) (*Session, error) {
	lf, _, err := ledger.ReadFile(path)
	if err != nil {
		return nil, err
	}
	h := lf.Header
	if h.Source == nil {
		return nil, fmt.Errorf("ledger %s: its header names no data spec (%q); open it with Open and the spec", path, h.Dataset)
	}
	return Open(path, runner.Spec{Data: *h.Source, Config: h.Config, Recipe: h.Recipe})
}

// RunStage trains the stage in progress to its end and prints the note
// the rules left on it.
func (s *Session) RunStage() error {
	if s.Out != nil {
		fmt.Fprintf(s.Out, "running stage %s\n", s.Search.Stage())
	}
	if err := s.Runner.RunStage(context.Background(), s.Trainer); err != nil {
		return err
	}
	if n := s.Search.Notes(); len(n) > 0 && s.Out != nil {
		fmt.Fprintln(s.Out, n[len(n)-1])
	}
	return nil
}

// TrainedAgain counts the candidates trained in this session that the
// ledger already held (a resumed search should train none again).
func (s *Session) TrainedAgain() int {
	n := 0
	for _, k := range s.Trained {
		if slices.Contains(s.Recorded, k) {
			n++
		}
	}
	return n
}

// Close releases the ledger and the backend.
func (s *Session) Close() error {
	err := s.Runner.Close()
	s.Trainer.Backend.Finalize()
	return err
}

// StageRecords returns the records of one stage in the ledger at path,
// best validation accuracy first.
func StageRecords(path string, stage nas.Stage) ([]nas.Record, error) {
	recs, _, err := ledger.Read(path)
	if err != nil {
		return nil, err
	}
	recs = slices.DeleteFunc(recs, func(r nas.Record) bool { return r.Stage != stage })
	slices.SortStableFunc(recs, func(a, b nas.Record) int { return cmp.Compare(b.Result.ValidAcc, a.Result.ValidAcc) })
	return recs, nil
}

// PrintStage prints the candidates of a stage in the ledger at path, best
// first.
func PrintStage(w io.Writer, path string, stage nas.Stage) error {
	recs, err := StageRecords(path, stage)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		fmt.Fprintf(w, "stage %s: no candidate in the ledger\n", stage)
		return nil
	}
	fmt.Fprintf(w, "candidates of stage %s, best first:\n", stage)
	for _, r := range recs {
		fmt.Fprintf(w, "  #%-2d %-24s %7s params  train %6.2f%%  valid %6.2f%%  %s\n", r.Seq, r.Key, nas.Thousands(r.Result.Params), r.Result.TrainAcc, r.Result.ValidAcc, r.Reason)
	}
	return nil
}
