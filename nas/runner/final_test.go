package runner_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
)

// fakeFinal is a final step whose training is counted and whose test
// accuracy follows from the network and recipe (training is deterministic).
func fakeFinal(l *ledger.Ledger, a nas.Arch, r nas.Recipe, trained *int) runner.FinalStep {
	st := runner.FinalStep{Ledger: l, Arch: a, Role: nas.RoleFound, Recipe: r,
		TrainImages: 192, TestSet: "synthetic/test sha256:01", TestImages: 48}
	st.Train = func(context.Context) (nas.Result, error) {
		*trained++
		return nas.Result{Arch: st.Arch, Curve: make([]nas.Epoch, st.Recipe.Epochs), TestAcc: 50 + float64(st.Recipe.Epochs+len(st.Arch.Ops))}, nil
	}
	return st
}

// TestFinalRecordsAndReuses checks the final step's bookkeeping: a record
// per role, network, recipe and test set; the same again is read back;
// another recipe or test set trains anew; the record survives reopening.
func TestFinalRecordsAndReuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.jsonl")
	cfg := smallConfig()
	hdr := testHeader(cfg)
	hdr.Versions = "trgnas v1 (the build that searched)"
	l, err := ledger.Open(path, hdr)
	if err != nil {
		t.Fatal(err)
	}
	r := nas.DefaultRecipe()
	r.Epochs, r.BatchSize, r.Anneal, r.Cutout, r.CutoutSize, r.CropPad, r.Flip = 2, 16, nas.AnnealStep, false, 0, 0, false
	trained := 0
	fc := fakeFinal(l, nas.Uniform(4, 2, nas.OpSepConv, 3), r, &trained)
	ctx := context.Background()
	first, cached, err := runner.RunFinal(ctx, fc)
	if err != nil || cached || trained != 1 {
		t.Fatalf("first: cached %v, trained %d, %v", cached, trained, err)
	}
	if first.TrainImages != 192 || first.TestImages != 48 || len(first.Result.Curve) != 2 || first.Result.TestAcc <= 0 || first.Event != "final" {
		t.Errorf("record %+v", first)
	}
	again, cached, err := runner.RunFinal(ctx, fc)
	if err != nil || !cached || again.Result.TestAcc != first.Result.TestAcc {
		t.Errorf("same again: cached %v, %v", cached, err)
	}
	// The same network as a baseline is the same run: recorded again under
	// its role, not trained.
	base := fc
	base.Role = nas.RoleBaseline
	if rec, cached, err := runner.RunFinal(ctx, base); err != nil || !cached || rec.Role != nas.RoleBaseline || rec.Result.TestAcc != first.Result.TestAcc {
		t.Errorf("baseline of the same network: cached %v, role %s, %v", cached, rec.Role, err)
	}
	if rec, cached, err := runner.RunFinal(ctx, base); err != nil || !cached || rec.Role != nas.RoleBaseline {
		t.Errorf("baseline again: cached %v, %v", cached, err)
	}
	longer := fc
	longer.Recipe.Epochs = 3
	longer.Versions = "trgnas v2 (the build that trains)"
	if rec, cached, err := runner.RunFinal(ctx, longer); err != nil || cached || rec.Versions != longer.Versions {
		t.Errorf("another recipe: cached %v, versions %q, %v", cached, rec.Versions, err)
	}
	if first.Versions != l.Header().Versions {
		t.Errorf("without Versions the record names %q, want the header's %q", first.Versions, l.Header().Versions)
	}
	if trained != 2 {
		t.Errorf("%d trainings, want 2 (the first run and the longer recipe)", trained)
	}
	l.Close()

	lf, _, err := ledger.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(lf.Finals()); n != 3 {
		t.Fatalf("%d final records, want 3 (found, the same run as baseline, a longer found)", n)
	}
	l2, err := ledger.OpenAppend(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	fc.Ledger = l2
	if _, cached, err := runner.RunFinal(ctx, fc); err != nil || !cached {
		t.Errorf("after reopening: cached %v, %v", cached, err)
	}

	// Another ledger of the same data takes the record from the cache; one
	// of other data does not.
	other := filepath.Join(t.TempDir(), "other.jsonl")
	cfg2 := smallConfig()
	cfg2.WidthDropTol = 0
	l3, err := ledger.Open(other, testHeader(cfg2))
	if err != nil {
		t.Fatal(err)
	}
	defer l3.Close()
	fromCache := fc
	fromCache.Ledger, fromCache.Cache = l3, lf.Finals()
	rec, cached, err := runner.RunFinal(ctx, fromCache)
	if err != nil || !cached || rec.Result.TestAcc != first.Result.TestAcc {
		t.Fatalf("from the cache: cached %v, %v", cached, err)
	}
	if lf3, _, _ := ledger.ReadFile(other); len(lf3.Finals()) != 1 {
		t.Errorf("the cached record was not copied into the ledger")
	}
	otherData := lf.Finals()
	for i := range otherData {
		otherData[i].Dataset = "another dataset"
	}
	l4, err := ledger.Open(filepath.Join(t.TempDir(), "o.jsonl"), testHeader(cfg2))
	if err != nil {
		t.Fatal(err)
	}
	defer l4.Close()
	fromCache.Ledger, fromCache.Cache = l4, otherData
	if _, cached, err := runner.RunFinal(ctx, fromCache); err != nil || cached {
		t.Errorf("a record of other data was used: cached %v, %v", cached, err)
	}
	if trained != 3 {
		t.Errorf("%d trainings, want 3", trained)
	}

	bad := fc
	bad.Recipe.TrainLimit = 10
	if _, _, err := runner.RunFinal(ctx, bad); err == nil {
		t.Error("a final recipe with a train limit was accepted")
	}
	if _, _, err := nas.FoundArch(lf); !errors.Is(err, nas.ErrSearchNotDone) {
		t.Errorf("FoundArch of a ledger with no search records: %v", err)
	}
}
