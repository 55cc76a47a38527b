package nas

import (
	"errors"
	"fmt"
	"time"
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

// FindFinal returns the last finished final record of a, recipe and test
// set, one of role if there is one: training is deterministic, so a record
// of the same network and recipe made for the other role is the same run.
func FindFinal(finals []FinalRecord, role string, a Arch, r Recipe, testSet string) (FinalRecord, bool) {
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
