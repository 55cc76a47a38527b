package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/train"
)

var tinyTrain = []string{"train", "--dataset", "synthetic", "--synth-n", "300", "--synth-size", "8",
	"--synth-classes", "3", "--width", "4", "--depth", "2", "--epochs", "2", "--batch", "32", "--lr", "0.1",
	"--backend", "go"}

func TestTrainJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	var out, errb bytes.Buffer
	args := append(append([]string{}, tinyTrain...), "--json", "--class-acc", "--checkpoint", dir)
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	dec := json.NewDecoder(&out)
	var res nas.Result
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout is not a JSON result: %v\n%s", err, out.String())
	}
	if dec.More() {
		t.Error("stdout holds more than one JSON value")
	}
	if res.Arch.Key() != "w4-o00-k33" || len(res.Curve) != 2 || res.Params != nas.Uniform(4, 2, 0, 3).Params(1, 3) {
		t.Errorf("result arch %s, %d epochs, %d params", res.Arch.Key(), len(res.Curve), res.Params)
	}
	if res.Failed || res.ValidAcc <= 0 || len(res.ClassAcc) != 3 || res.Backend != backend.CPUName {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(errb.String(), "epoch 2/2") {
		t.Errorf("no progress bar on stderr:\n%s", errb.String())
	}

	// The saved model evaluates on the held-out test set.
	out.Reset()
	errb.Reset()
	args = append(append([]string{}, tinyTrain[:9]...), "--eval-checkpoint", dir, "--json")
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("eval-checkpoint: exit %d, stderr:\n%s", code, errb.String())
	}
	var ev train.Evaluation
	if err := json.Unmarshal(out.Bytes(), &ev); err != nil {
		t.Fatalf("eval-checkpoint stdout: %v\n%s", err, out.String())
	}
	if ev.N < 45 || ev.N > 55 || ev.Acc < 0 || ev.Acc > 100 || len(ev.ClassAcc) != 3 {
		t.Errorf("evaluation %+v, want about 50 test images (a sixth of 300)", ev)
	}
}

func TestTrainTable(t *testing.T) {
	var out, errb bytes.Buffer
	args := append(append([]string{}, tinyTrain...), "--quiet", "--epochs", "1", "--anneal", "step")
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	for _, want := range []string{"best valid acc", "params           ", "images/s", "w4-o00-k33", "anneal step"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if errb.Len() != 0 {
		t.Errorf("--quiet wrote to stderr: %q", errb.String())
	}
}

func TestTrainFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--arch", "w4-o00-k33", "--width", "8"}, "--arch excludes --width"},
		{[]string{"--arch", "w4-o02-k33"}, "ops[1] = 2"},
		{[]string{"--ops", "0,1", "--kernels", "3,4"}, "kernels[1] = 4"},
		{[]string{"--ops", "0,x"}, `--ops: item 2 "x"`},
		{[]string{"--ops", "0,1", "--depth", "3"}, "--depth 3 but --ops lists 2"},
		{[]string{"--kernels", "3,3"}, "--kernels needs --ops"},
		{[]string{"--dataset", "imagenet"}, `--dataset "imagenet"`},
		{[]string{"--dataset", "cifar10"}, "needs --data-dir"},
		{[]string{"--epochs", "0"}, "epochs 0"},
		{[]string{"--anneal", "linear"}, `anneal "linear"`},
		{[]string{"--dataset", "synthetic", "--valid-frac", "1.5"}, "--valid-frac 1.5"},
		{[]string{"--dataset", "synthetic", "--synth-size", "2", "--depth", "3"}, "input too small"},
		{[]string{"--dataset", "synthetic", "--backend", "nosuch"}, "nosuch"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		code := run(append([]string{"train", "--quiet"}, tc.args...), &out, &errb)
		if code == 0 {
			t.Errorf("%v: exit 0", tc.args)
			continue
		}
		if !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: stderr %q does not contain %q", tc.args, errb.String(), tc.want)
		}
	}
}

// TestTrainDivergedJSON: a diverging run still prints its one JSON result,
// marked failed, and exits non-zero.
func TestTrainDivergedJSON(t *testing.T) {
	var out, errb bytes.Buffer
	args := append(append([]string{}, tinyTrain...), "--json", "--quiet", "--lr", "1e30")
	if code := run(args, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, errb.String())
	}
	var res nas.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("stdout: %v\n%s", err, out.String())
	}
	if !res.Failed || !strings.Contains(res.Error, "diverged") || !strings.Contains(errb.String(), "diverged") {
		t.Errorf("result failed=%v error %q; stderr %q", res.Failed, res.Error, errb.String())
	}
}
