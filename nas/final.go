package nas

import (
	"context"
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

// FinalStep is one final training run, as the ledger sees it: the
// lookup of a finished record and the record itself. The training is
// Train's, given by the caller (train.Final trains with GoMLX).
type FinalStep struct {
	Ledger Journal // the search's ledger: looked up first, the record appended to it
	Arch   Arch    // the network to train
	Role   string  // RoleFound or RoleBaseline
	// Recipe is the final recipe: usually the search's with more epochs.
	// TrainLimit and ValidLimit must be 0: the final step trains on every
	// training image.
	Recipe      Recipe
	TrainImages int    // every training image (training and validation split together)
	TestSet     string // the test set's name and fingerprint
	TestImages  int
	// Cache holds final records of other ledgers (LedgerFile.Finals): one
	// of the same data (the ledger header's Dataset), role, network,
	// recipe and test set is copied into the ledger instead of training.
	Cache []FinalRecord
	// Train trains Arch from scratch with Recipe on every training image
	// and scores it once on the test set (Result.TestAcc).
	Train func(ctx context.Context) (Result, error)
}

// RunFinal runs the final step: unless the ledger already has a finished
// final record of the same network, recipe and test set (which it returns
// with cached set, training nothing; one made for the other role is
// recorded again under this role), or st.Cache has one of the same data
// (which it appends to the ledger and returns with cached set), it calls
// st.Train and appends the record to the ledger. A failed (diverged) run is
// recorded too, and trained again by the next call.
func RunFinal(ctx context.Context, st FinalStep) (rec FinalRecord, cached bool, err error) {
	if st.Ledger == nil {
		return FinalRecord{}, false, errors.New("final: no ledger")
	}
	if st.Role != RoleFound && st.Role != RoleBaseline {
		return FinalRecord{}, false, fmt.Errorf("final: role %q, want %q or %q", st.Role, RoleFound, RoleBaseline)
	}
	if st.Recipe.TrainLimit != 0 || st.Recipe.ValidLimit != 0 {
		return FinalRecord{}, false, fmt.Errorf("final: recipe has train_limit %d and valid_limit %d: the final step trains on every training image", st.Recipe.TrainLimit, st.Recipe.ValidLimit)
	}
	if st.Train == nil || st.TestSet == "" {
		return FinalRecord{}, false, errors.New("final: a trainer and a test set are required")
	}
	if err := st.Arch.Validate(); err != nil {
		return FinalRecord{}, false, fmt.Errorf("final: %w", err)
	}
	if prev, ok := findFinal(st.Ledger.Content().Finals(), st.Role, st.Arch, st.Recipe, st.TestSet); ok {
		if prev.Role == st.Role {
			return prev, true, nil
		}
		prev.Role = st.Role // the other role's run, recorded again for this one
		return prev, true, appendFinal(st.Ledger, prev)
	}
	hdr := st.Ledger.Header()
	var same []FinalRecord // the cache's records of this ledger's data
	for _, f := range st.Cache {
		if f.Dataset == hdr.Dataset {
			same = append(same, f)
		}
	}
	if prev, ok := findFinal(same, st.Role, st.Arch, st.Recipe, st.TestSet); ok {
		prev.Role = st.Role
		return prev, true, appendFinal(st.Ledger, prev)
	}
	res, err := st.Train(ctx)
	if err != nil {
		return FinalRecord{}, false, err
	}
	rec = FinalRecord{
		Event: "final", Role: st.Role, Recipe: st.Recipe, Dataset: hdr.Dataset,
		TrainImages: st.TrainImages, TestSet: st.TestSet, TestImages: st.TestImages,
		Result: res, Versions: hdr.Versions, Time: time.Now().UTC(),
	}
	return rec, false, appendFinal(st.Ledger, rec)
}

// appendFinal writes a final record and keeps it in the ledger's content.
func appendFinal(l Journal, rec FinalRecord) error {
	if err := l.AppendLine(rec); err != nil {
		return err
	}
	c := l.Content()
	c.Entries = append(c.Entries, LedgerEntry{Final: &rec})
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
