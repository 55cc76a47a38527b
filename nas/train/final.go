package train

import (
	"context"
	"errors"

	"github.com/gomlx/compute"
	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
)

// FinalConfig is one final training run (see runner.RunFinal for the ledger's
// side: the lookup of a finished record, the cache, the roles).
type FinalConfig struct {
	Backend compute.Backend
	Ledger  *ledger.Ledger // the search's ledger: looked up first, the record appended to it
	Arch    nas.Arch       // the network to train
	Role    string         // nas.RoleFound or nas.RoleBaseline
	// Recipe is the final recipe: usually the search's with more epochs;
	// TrainLimit and ValidLimit must be 0.
	Recipe    nas.Recipe
	Train     *data.Dataset // every training image (training and validation split together)
	Test      *data.Dataset // the test set, read by nothing before this step
	Mean, Std []float32
	ClassAcc  bool
	Progress  func(Progress)
	Cache     []nas.FinalRecord // final records of other ledgers (runner.FinalStep.Cache)
	Versions  string            // the build that trains (runner.FinalStep.Versions)
}

// Final runs the final step (runner.RunFinal) with this package's trainer:
// cfg.Arch trained from scratch on cfg.Train with cfg.Recipe and scored
// once on cfg.Test, unless the ledger or the cache has that run already.
func Final(ctx context.Context, cfg FinalConfig) (rec nas.FinalRecord, cached bool, err error) {
	if cfg.Train == nil || cfg.Test == nil {
		return nas.FinalRecord{}, false, errors.New("final: training and test sets are required")
	}
	return runner.RunFinal(ctx, runner.FinalStep{
		Ledger: cfg.Ledger, Arch: cfg.Arch, Role: cfg.Role, Recipe: cfg.Recipe,
		TrainImages: cfg.Train.N, TestSet: cfg.Test.Name + " " + cfg.Test.Fingerprint(), TestImages: cfg.Test.N,
		Cache: cfg.Cache, Versions: cfg.Versions,
		Train: func(ctx context.Context) (nas.Result, error) {
			return Train(ctx, Config{
				Backend: cfg.Backend, Arch: cfg.Arch, Recipe: cfg.Recipe, Train: cfg.Train, Test: cfg.Test,
				Mean: cfg.Mean, Std: cfg.Std, ClassAcc: cfg.ClassAcc, Progress: cfg.Progress,
			})
		},
	})
}
