package runner_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
)

func testSpec() runner.Spec {
	cfg := smallConfig()
	cfg.InChannels, cfg.Classes = 0, 0 // from the data
	r := nas.DefaultRecipe()
	r.Epochs = 1
	return runner.Spec{
		Data: data.Spec{Dataset: "synthetic", ValidFrac: 0.2, Seed: 3,
			Synthetic: &data.SyntheticConfig{N: 120, H: 4, W: 4, C: 2, Classes: 3, Noise: 0.2}},
		Config: cfg, Recipe: r,
	}
}

// The header names the data as data.Spec.Split does, takes the channels
// and classes from the data, and is the header written by hand before the
// Spec existed, line for line.
func TestSpecHeader(t *testing.T) {
	spec := testSpec()
	tr, va, hdr, err := spec.Load("v1")
	if err != nil {
		t.Fatal(err)
	}
	_, _, name, _ := spec.Data.Split()
	if hdr.Dataset != name || tr.C != 2 || va.N == 0 || hdr.Config.InChannels != 2 || hdr.Config.Classes != 3 || hdr.Versions != "v1" {
		t.Errorf("header %+v (data %q)", hdr, name)
	}
	cfg := spec.Config
	cfg.InChannels, cfg.Classes = 2, 3
	byHand := nas.LedgerHeader{Format: nas.LedgerFormat, Config: cfg, Recipe: spec.Recipe, Dataset: name, Source: &spec.Data, Versions: "v1"}
	a, _ := json.Marshal(hdr)
	b, _ := json.Marshal(byHand)
	if string(a) != string(b) {
		t.Errorf("header\n%s\nwant\n%s", a, b)
	}
	if h2 := spec.HeaderFor(name, "v1"); h2.Dataset != name || h2.Source == nil || !reflect.DeepEqual(*h2.Source, spec.Data) {
		t.Errorf("HeaderFor %+v", h2)
	}
	bad := spec
	bad.Config.Classes = 10
	if _, err := bad.Header(""); err == nil || !strings.Contains(err.Error(), "10 classes, the data 2 and 3") {
		t.Errorf("a config of 10 classes on 3-class data: %v", err)
	}
	// The Spec is what a Slurm job or a notebook reads back as JSON.
	js, _ := json.Marshal(spec)
	var back runner.Spec
	if err := json.Unmarshal(js, &back); err != nil || !reflect.DeepEqual(back, spec) || !strings.Contains(string(js), `"data":{"dataset":"synthetic"`) {
		t.Errorf("JSON %s -> %+v, %v", js, back, err)
	}
}

// Open creates the ledger from the Spec, resumes it without evaluating
// again, and refuses another experiment's ledger.
func TestOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.jsonl")
	spec := testSpec()
	f := newScoreEval(50, longScores())
	for round := 0; round < 2; round++ {
		r, err := runner.Open(path, spec, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Run(context.Background(), f); err != nil {
			t.Fatal(err)
		}
		if len(r.Warnings()) != 0 || r.Close() != nil {
			t.Errorf("warnings %v", r.Warnings())
		}
	}
	lf, _, err := ledger.ReadFile(path)
	if err != nil || lf.Header.Source == nil || lf.Header.Config.Classes != 3 {
		t.Fatalf("header %+v, %v", lf.Header, err)
	}
	if n := len(lf.Records()); n == 0 || f.Total() != n {
		t.Errorf("%d evaluations for %d records", f.Total(), n)
	}
	other := spec
	other.Recipe.Epochs = 2
	if _, err := runner.Open(path, other, ""); !errors.Is(err, nas.ErrLedgerMismatch) {
		t.Errorf("another recipe: %v", err)
	}
	other = spec
	other.Data.Seed = 4
	if _, err := runner.Open(path, other, ""); !errors.Is(err, nas.ErrLedgerMismatch) {
		t.Errorf("another split: %v", err)
	}
}
