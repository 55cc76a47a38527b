package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/slurm"
	"github.com/trgnas/trgnas/nas/train"
)

// trgnas train --spec trains exactly what the job spec says: the network,
// the whole recipe (a momentum the flags cannot give included) and the
// data, checked against the search's data name.
func TestTrainSpec(t *testing.T) {
	dir := t.TempDir()
	ds := data.Spec{Dataset: "synthetic", ValidFrac: 0.2, Seed: 3, Synthetic: &data.SyntheticConfig{N: 240, H: 8, W: 8, C: 1, Classes: 3, Noise: 0.1}}
	trainSet, valid, name, err := ds.Split()
	if err != nil {
		t.Fatal(err)
	}
	a := nas.Uniform(4, 2, nas.OpSepConv, 3)
	r := nas.DefaultRecipe()
	r.Epochs, r.BatchSize, r.Anneal, r.Seed, r.Momentum = 2, 32, nas.AnnealStep, 3, 0.5
	r.Cutout, r.CutoutSize, r.CropPad, r.Flip = false, 0, 0, false
	write := func(js slurm.JobSpec) string {
		b, _ := json.Marshal(js)
		path := filepath.Join(dir, "spec.json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	path := write(slurm.JobSpec{Key: a.Key(), Arch: a, Recipe: r, Dataset: name, Data: &ds})
	out, errOut, code := runCmd(t, "train", "--spec", path, "--json", "--quiet", "--backend", "go")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got nas.Result
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	trained := func(momentum float64) nas.Result {
		b, err := backend.Open("go")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Finalize()
		rr := r
		rr.Momentum = momentum
		res, err := train.Train(context.Background(), train.Config{Backend: b, Arch: a, Recipe: rr, Train: trainSet, Valid: valid})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	want, other := trained(0.5), trained(0.9)
	if !got.Arch.Equal(a) || len(got.Curve) != 2 || got.Curve[1].TrainLoss != want.Curve[1].TrainLoss || got.ValidAcc != want.ValidAcc {
		t.Errorf("--spec: loss %v acc %g; the same recipe in process: loss %g acc %g", got.Curve, got.ValidAcc, want.Curve[1].TrainLoss, want.ValidAcc)
	}
	if other.Curve[1].TrainLoss == want.Curve[1].TrainLoss {
		t.Error("momentum 0.9 trained as 0.5: the check above proves nothing")
	}

	for _, tc := range []struct {
		args []string
		js   slurm.JobSpec
		want string
	}{
		{[]string{"--epochs", "3"}, slurm.JobSpec{Key: a.Key(), Arch: a, Recipe: r, Dataset: name, Data: &ds}, "--epochs with --spec"},
		{nil, slurm.JobSpec{Key: a.Key(), Arch: a, Recipe: r, Dataset: "synthetic-train sha256:00", Data: &ds}, "not the search's"},
		{nil, slurm.JobSpec{Key: a.Key(), Arch: a, Recipe: r, Dataset: name}, "no data"},
	} {
		p := write(tc.js)
		args := append([]string{"train", "--spec", p, "--quiet"}, tc.args...)
		if _, errOut, code := runCmd(t, args...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
}
