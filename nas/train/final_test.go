package train_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/train"
)

// The final step trains the network on every training image, scores it
// once on the test set, records that in the ledger, and trains nothing the
// second time (runner.RunFinal's bookkeeping is tested in nas/runner).
func TestFinalTrainsAndRecords(t *testing.T) {
	spec := data.Spec{Dataset: "synthetic", ValidFrac: 0.2, Seed: 1, Synthetic: &data.SyntheticConfig{N: 240, H: 8, W: 8, C: 1, Classes: 3, Noise: 0.1}}
	full, err := spec.Train()
	if err != nil {
		t.Fatal(err)
	}
	test, err := spec.Test()
	if err != nil {
		t.Fatal(err)
	}
	cfg := nas.DefaultConfig()
	r := nas.DefaultRecipe()
	r.Epochs, r.BatchSize, r.Anneal, r.Cutout, r.CutoutSize, r.CropPad, r.Flip = 2, 16, nas.AnnealStep, false, 0, 0, false
	l, err := ledger.Open(filepath.Join(t.TempDir(), "l.jsonl"), nas.LedgerHeader{Config: cfg, Recipe: r, Dataset: "synthetic-test sha256:00"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fc := train.FinalConfig{Backend: testBackend(t), Ledger: l, Arch: nas.Uniform(4, 2, nas.OpSepConv, 3), Role: nas.RoleFound,
		Recipe: r, Train: full, Test: test}
	ctx := context.Background()
	first, cached, err := train.Final(ctx, fc)
	if err != nil || cached {
		t.Fatalf("first: cached %v, %v", cached, err)
	}
	if first.TrainImages != full.N || first.TestImages != test.N || first.TestSet != test.Name+" "+test.Fingerprint() ||
		len(first.Result.Curve) != 2 || first.Result.TestAcc <= 0 || first.Result.Failed {
		t.Errorf("record %+v", first)
	}
	again, cached, err := train.Final(ctx, fc)
	if err != nil || !cached || again.Result.TestAcc != first.Result.TestAcc {
		t.Errorf("same again: cached %v, %v", cached, err)
	}
	if n := len(l.Content().Finals()); n != 1 {
		t.Errorf("%d final records, want 1", n)
	}
	noTest := fc
	noTest.Test = nil
	if _, _, err := train.Final(ctx, noTest); err == nil {
		t.Error("a final step without a test set was accepted")
	}
}
