package runner

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trgnas/trgnas/nas"
)

// FinalStep is one final training run, as the ledger sees it: the
// lookup of a finished record and the record itself. The training is
// Train's, given by the caller (train.Final trains with GoMLX).
type FinalStep struct {
	Ledger Journal  // the search's ledger: looked up first, the record appended to it
	Arch   nas.Arch // the network to train
	Role   string   // nas.RoleFound or nas.RoleBaseline
	// Recipe is the final recipe: usually the search's with more epochs.
	// TrainLimit and ValidLimit must be 0: the final step trains on every
	// training image.
	Recipe      nas.Recipe
	TrainImages int    // every training image (training and validation split together)
	TestSet     string // the test set's name and fingerprint
	TestImages  int
	// Cache holds final records of other ledgers (nas.LedgerFile.Finals): one
	// of the same data (the ledger header's Dataset), role, network,
	// recipe and test set is copied into the ledger instead of training.
	Cache []nas.FinalRecord
	// Train trains Arch from scratch with Recipe on every training image
	// and scores it once on the test set (Result.TestAcc).
	Train func(ctx context.Context) (nas.Result, error)
	// Versions names the build that trains, for the record ("": the
	// ledger header's, which names the build that searched).
	Versions string
}

// RunFinal runs the final step: unless the ledger already has a finished
// final record of the same network, recipe and test set (which it returns
// with cached set, training nothing; one made for the other role is
// recorded again under this role), or st.Cache has one of the same data
// (which it appends to the ledger and returns with cached set), it calls
// st.Train and appends the record to the ledger. A failed (diverged) run is
// recorded too, and trained again by the next call.
func RunFinal(ctx context.Context, st FinalStep) (rec nas.FinalRecord, cached bool, err error) {
	if st.Ledger == nil {
		return nas.FinalRecord{}, false, errors.New("final: no ledger")
	}
	if st.Role != nas.RoleFound && st.Role != nas.RoleBaseline {
		return nas.FinalRecord{}, false, fmt.Errorf("final: role %q, want %q or %q", st.Role, nas.RoleFound, nas.RoleBaseline)
	}
	if st.Recipe.TrainLimit != 0 || st.Recipe.ValidLimit != 0 {
		return nas.FinalRecord{}, false, fmt.Errorf("final: recipe has train_limit %d and valid_limit %d: the final step trains on every training image", st.Recipe.TrainLimit, st.Recipe.ValidLimit)
	}
	if st.Train == nil || st.TestSet == "" {
		return nas.FinalRecord{}, false, errors.New("final: a trainer and a test set are required")
	}
	if err := st.Arch.Validate(); err != nil {
		return nas.FinalRecord{}, false, fmt.Errorf("final: %w", err)
	}
	if prev, ok := nas.FindFinal(st.Ledger.Content().Finals(), st.Role, st.Arch, st.Recipe, st.TestSet); ok {
		if prev.Role == st.Role {
			return prev, true, nil
		}
		prev.Role = st.Role // the other role's run, recorded again for this one
		return prev, true, appendFinal(st.Ledger, prev)
	}
	hdr := st.Ledger.Header()
	var same []nas.FinalRecord // the cache's records of this ledger's data
	for _, f := range st.Cache {
		if f.Dataset == hdr.Dataset {
			same = append(same, f)
		}
	}
	if prev, ok := nas.FindFinal(same, st.Role, st.Arch, st.Recipe, st.TestSet); ok {
		prev.Role = st.Role
		return prev, true, appendFinal(st.Ledger, prev)
	}
	res, err := st.Train(ctx)
	if err != nil {
		return nas.FinalRecord{}, false, err
	}
	versions := st.Versions
	if versions == "" {
		versions = hdr.Versions
	}
	rec = nas.FinalRecord{
		Event: "final", Role: st.Role, Recipe: st.Recipe, Dataset: hdr.Dataset,
		TrainImages: st.TrainImages, TestSet: st.TestSet, TestImages: st.TestImages,
		Result: res, Versions: versions, Time: time.Now().UTC(),
	}
	return rec, false, appendFinal(st.Ledger, rec)
}

// appendFinal writes a final record and keeps it in the ledger's content.
func appendFinal(l Journal, rec nas.FinalRecord) error {
	if err := l.AppendLine(rec); err != nil {
		return err
	}
	c := l.Content()
	c.Entries = append(c.Entries, nas.LedgerEntry{Final: &rec})
	return nil
}
