package nas

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/trgnas/trgnas/data"
)

// Roles of a final record.
const (
	RoleFound    = "found"    // the network the search found
	RoleBaseline = "baseline" // a network the user names, trained with the same final recipe for comparison
)

// FinalRecord is the final step of a search, one ledger line: a network
// retrained from scratch on every training image (the search's training
// and validation split together) with a longer recipe, then scored once on
// the test set. Result.Curve has the training loss and accuracy per epoch
// (no validation), Result.TestAcc the test accuracy.
type FinalRecord struct {
	Event       string    `json:"event"` // "final"
	Role        string    `json:"role"`  // RoleFound or RoleBaseline
	Recipe      Recipe    `json:"recipe"`
	Dataset     string    `json:"dataset"` // the search's data (the ledger header's Dataset)
	TrainImages int       `json:"train_images"`
	TestSet     string    `json:"test_set"` // test set name and content fingerprint
	TestImages  int       `json:"test_images"`
	Result      Result    `json:"result"`
	Versions    string    `json:"versions,omitempty"`
	Time        time.Time `json:"time"`
}

// Arch returns the record's network.
func (f FinalRecord) Arch() Arch { return f.Result.Arch }

// Finals returns the final records of the ledger, in file order.
func (lf *LedgerFile) Finals() []FinalRecord {
	var out []FinalRecord
	for _, e := range lf.Entries {
		if e.Final != nil {
			out = append(out, *e.Final)
		}
	}
	return out
}

// ErrSearchNotDone is wrapped by FoundArch for a ledger whose search has
// candidates left to train.
var ErrSearchNotDone = errors.New("the search is not finished")

// FoundArch replays the ledger's search (its header's configuration and its
// records) and returns the network it found, with its search result. The
// search must be finished.
func FoundArch(lf *LedgerFile) (Arch, Result, error) {
	if lf.Header == nil {
		return Arch{}, Result{}, fmt.Errorf("ledger %s has no header line", lf.Path)
	}
	s, err := NewSearch(lf.Header.Config)
	if err != nil {
		return Arch{}, Result{}, fmt.Errorf("ledger %s: %w", lf.Path, err)
	}
	if err := s.Replay(lf); err != nil {
		return Arch{}, Result{}, err
	}
	if !s.Done() {
		next, stage, _ := s.Next()
		return Arch{}, Result{}, fmt.Errorf("%w: ledger %s has %d candidates and the %s stage wants %s next; run the search to its end first (or name a network)",
			ErrSearchNotDone, lf.Path, len(s.Decisions()), stage, next.Key())
	}
	a, res, ok := s.Best()
	if !ok {
		return Arch{}, Result{}, fmt.Errorf("ledger %s: the search has no network", lf.Path)
	}
	return a, res, nil
}

// FinalConfig is one final training run.
type FinalConfig struct {
	Backend backends.Backend
	Ledger  *Ledger // the search's ledger: looked up first, the record appended to it
	Arch    Arch    // the network to train
	Role    string  // RoleFound or RoleBaseline
	// Recipe is the final recipe: usually the search's with more epochs.
	// TrainLimit and ValidLimit must be 0: the final step trains on every
	// training image.
	Recipe    Recipe
	Train     *data.Dataset // every training image (training and validation split together)
	Test      *data.Dataset // the test set, read by nothing before this step
	Mean, Std []float32
	ClassAcc  bool
	Progress  func(Progress)
	// Cache holds final records of other ledgers (LedgerFile.Finals): one
	// of the same data (the ledger header's Dataset), role, network,
	// recipe and test set is copied into the ledger instead of training.
	Cache []FinalRecord
}

// Final runs the final step: unless the ledger already has a finished final
// record of the same network, recipe and test set (which it returns with
// cached set, training nothing; one made for the other role is recorded
// again under this role), or cfg.Cache has one of the same data
// (which it appends to the ledger and returns with cached set), it trains cfg.Arch from scratch on
// cfg.Train with cfg.Recipe, scores it once on cfg.Test and appends the
// record to the ledger. A failed (diverged) run is recorded too, and
// trained again by the next call.
func Final(ctx context.Context, cfg FinalConfig) (rec FinalRecord, cached bool, err error) {
	if cfg.Ledger == nil {
		return FinalRecord{}, false, errors.New("final: no ledger")
	}
	if cfg.Role != RoleFound && cfg.Role != RoleBaseline {
		return FinalRecord{}, false, fmt.Errorf("final: role %q, want %q or %q", cfg.Role, RoleFound, RoleBaseline)
	}
	if cfg.Recipe.TrainLimit != 0 || cfg.Recipe.ValidLimit != 0 {
		return FinalRecord{}, false, fmt.Errorf("final: recipe has train_limit %d and valid_limit %d: the final step trains on every training image", cfg.Recipe.TrainLimit, cfg.Recipe.ValidLimit)
	}
	if cfg.Train == nil || cfg.Test == nil {
		return FinalRecord{}, false, errors.New("final: training and test sets are required")
	}
	if err := cfg.Arch.Validate(); err != nil {
		return FinalRecord{}, false, fmt.Errorf("final: %w", err)
	}
	testSet := cfg.Test.Name + " " + cfg.Test.Fingerprint()
	hdr := cfg.Ledger.Header()
	var same []FinalRecord // the cache's records of this ledger's data
	for _, f := range cfg.Cache {
		if f.Dataset == hdr.Dataset {
			same = append(same, f)
		}
	}
	if prev, ok := findFinal(cfg.Ledger.Content().Finals(), cfg.Role, cfg.Arch, cfg.Recipe, testSet); ok {
		if prev.Role == cfg.Role {
			return prev, true, nil
		}
		prev.Role = cfg.Role // the other role's run, recorded again for this one
		return prev, true, cfg.Ledger.appendFinal(prev)
	}
	if prev, ok := findFinal(same, cfg.Role, cfg.Arch, cfg.Recipe, testSet); ok {
		prev.Role = cfg.Role
		return prev, true, cfg.Ledger.appendFinal(prev)
	}
	res, err := Train(ctx, TrainConfig{
		Backend: cfg.Backend, Arch: cfg.Arch, Recipe: cfg.Recipe, Train: cfg.Train, Test: cfg.Test,
		Mean: cfg.Mean, Std: cfg.Std, ClassAcc: cfg.ClassAcc, Progress: cfg.Progress,
	})
	if err != nil {
		return FinalRecord{}, false, err
	}
	rec = FinalRecord{
		Event: "final", Role: cfg.Role, Recipe: cfg.Recipe, Dataset: hdr.Dataset,
		TrainImages: cfg.Train.N, TestSet: testSet, TestImages: cfg.Test.N,
		Result: res, Versions: hdr.Versions, Time: time.Now().UTC(),
	}
	return rec, false, cfg.Ledger.appendFinal(rec)
}

// appendFinal writes a final record and keeps it in the ledger's content.
func (l *Ledger) appendFinal(rec FinalRecord) error {
	if err := l.appendJSON(rec); err != nil {
		return err
	}
	l.read.Entries = append(l.read.Entries, LedgerEntry{Final: &rec})
	return nil
}

// findFinal returns the last finished final record of a, recipe and test
// set, one of role if there is one: training is deterministic, so a record
// of the same network and recipe made for the other role is the same run.
func findFinal(finals []FinalRecord, role string, a Arch, r Recipe, testSet string) (FinalRecord, bool) {
	for _, sameRole := range []bool{true, false} {
		for i := len(finals) - 1; i >= 0; i-- {
			f := finals[i]
			if (f.Role == role) == sameRole && f.Result.Arch.Key() == a.Key() && f.TestSet == testSet && !f.Result.Failed &&
				len(diffJSON("recipe", f.Recipe, r)) == 0 {
				return f, true
			}
		}
	}
	return FinalRecord{}, false
}
