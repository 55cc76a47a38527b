package nas_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
)

// TestFinalRecordsAndReuses checks the final step's bookkeeping: a record
// per role, network, recipe and test set; the same again is read back;
// another recipe or test set trains anew; the record survives reopening.
func TestFinalRecordsAndReuses(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	spec := data.Spec{Dataset: "synthetic", ValidFrac: 0.2, Seed: 1, Synthetic: &data.SyntheticConfig{N: 240, H: 8, W: 8, C: 1, Classes: 3, Noise: 0.1}}
	full, err := spec.Train()
	if err != nil {
		t.Fatal(err)
	}
	test, err := spec.Test()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "l.jsonl")
	cfg := smallConfig()
	l, err := nas.OpenLedger(path, testHeader(cfg))
	if err != nil {
		t.Fatal(err)
	}
	r := nas.DefaultRecipe()
	r.Epochs, r.BatchSize, r.Anneal, r.Cutout, r.CutoutSize, r.CropPad, r.Flip = 2, 16, nas.AnnealStep, false, 0, 0, false
	fc := nas.FinalConfig{Backend: testBackend(t), Ledger: l, Arch: nas.Uniform(4, 2, nas.OpSepConv, 3), Role: nas.RoleFound,
		Recipe: r, Train: full, Test: test}
	ctx := context.Background()
	first, cached, err := nas.Final(ctx, fc)
	if err != nil || cached {
		t.Fatalf("first: cached %v, %v", cached, err)
	}
	if first.TrainImages != full.N || first.TestImages != test.N || len(first.Result.Curve) != 2 || first.Result.TestAcc <= 0 {
		t.Errorf("record %+v", first)
	}
	again, cached, err := nas.Final(ctx, fc)
	if err != nil || !cached || again.Result.TestAcc != first.Result.TestAcc {
		t.Errorf("same again: cached %v, %v", cached, err)
	}
	// The same network as a baseline is the same run: recorded again under
	// its role, not trained.
	base := fc
	base.Role = nas.RoleBaseline
	if rec, cached, err := nas.Final(ctx, base); err != nil || !cached || rec.Role != nas.RoleBaseline || rec.Result.TestAcc != first.Result.TestAcc {
		t.Errorf("baseline of the same network: cached %v, role %s, %v", cached, rec.Role, err)
	}
	if rec, cached, err := nas.Final(ctx, base); err != nil || !cached || rec.Role != nas.RoleBaseline {
		t.Errorf("baseline again: cached %v, %v", cached, err)
	}
	longer := fc
	longer.Recipe.Epochs = 3
	if _, cached, err := nas.Final(ctx, longer); err != nil || cached {
		t.Errorf("another recipe: cached %v, %v", cached, err)
	}
	l.Close()

	lf, _, err := nas.ReadLedgerFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lf.Finals()); n != 3 {
		t.Fatalf("%d final records, want 3 (found, the same run as baseline, a longer found)", n)
	}
	l2, err := nas.OpenLedgerAppend(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	fc.Ledger = l2
	if _, cached, err := nas.Final(ctx, fc); err != nil || !cached {
		t.Errorf("after reopening: cached %v, %v", cached, err)
	}

	// Another ledger of the same data takes the record from the cache; one
	// of other data does not.
	other := filepath.Join(t.TempDir(), "other.jsonl")
	cfg2 := smallConfig()
	cfg2.WidthDropTol = 0
	l3, err := nas.OpenLedger(other, testHeader(cfg2))
	if err != nil {
		t.Fatal(err)
	}
	defer l3.Close()
	fromCache := fc
	fromCache.Ledger, fromCache.Cache = l3, lf.Finals()
	rec, cached, err := nas.Final(ctx, fromCache)
	if err != nil || !cached || rec.Result.TestAcc != first.Result.TestAcc {
		t.Fatalf("from the cache: cached %v, %v", cached, err)
	}
	if lf3, _, _ := nas.ReadLedgerFile(other); len(lf3.Finals()) != 1 {
		t.Errorf("the cached record was not copied into the ledger")
	}
	otherData := lf.Finals()
	for i := range otherData {
		otherData[i].Dataset = "another dataset"
	}
	l4, err := nas.OpenLedger(filepath.Join(t.TempDir(), "o.jsonl"), testHeader(cfg2))
	if err != nil {
		t.Fatal(err)
	}
	defer l4.Close()
	fromCache.Ledger, fromCache.Cache = l4, otherData
	if _, cached, err := nas.Final(ctx, fromCache); err != nil || cached {
		t.Errorf("a record of other data was used: cached %v, %v", cached, err)
	}

	bad := fc
	bad.Recipe.TrainLimit = 10
	if _, _, err := nas.Final(ctx, bad); err == nil {
		t.Error("a final recipe with a train limit was accepted")
	}
	if _, _, err := nas.FoundArch(lf); !errors.Is(err, nas.ErrSearchNotDone) {
		t.Errorf("FoundArch of a ledger with no search records: %v", err)
	}
}
