package main

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
)

const publishedLog = "../../nas/testdata/trgnas-cifar10-searchlog.txt"

func runCmd(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

func TestReplayJSON(t *testing.T) {
	out, errOut, code := runCmd(t, "replay", "--log", publishedLog, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	var got replayJSON
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("more than one JSON value on stdout: %v", err)
	}
	// The field names are the contract: check them on a generic decode too.
	var generic map[string]any
	json.Unmarshal([]byte(out), &generic)
	final := generic["final"].(map[string]any)
	for _, k := range []string{"depth", "width", "ops", "kernels", "params", "train_acc", "valid_acc"} {
		if _, ok := final[k]; !ok {
			t.Errorf("final lacks %q", k)
		}
	}
	cand := generic["candidates"].([]any)[0].(map[string]any)
	for _, k := range []string{"stage", "width", "ops", "kernels", "params", "logged_params", "train_acc", "valid_acc", "accepted"} {
		if _, ok := cand[k]; !ok {
			t.Errorf("candidate lacks %q", k)
		}
	}
	if len(got.Candidates) != 46 {
		t.Fatalf("%d candidates", len(got.Candidates))
	}
	stages := map[nas.Stage]int{}
	for i, c := range got.Candidates {
		stages[c.Stage]++
		if c.Params != c.LoggedParams || c.Params == 0 {
			t.Errorf("candidate %d: params %d, logged %d", i, c.Params, c.LoggedParams)
		}
	}
	if want := map[nas.Stage]int{"depth": 11, "width": 5, "operation": 10, "kernel": 20}; !reflect.DeepEqual(stages, want) {
		t.Errorf("stages %v", stages)
	}
	want := replayFinal{Depth: 16, Width: 56, Ops: []int{1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		Kernels: []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, Params: 453498, TrainAcc: 99.091995, ValidAcc: 96}
	if !reflect.DeepEqual(got.Final, want) {
		t.Errorf("final %+v", got.Final)
	}
	if c := got.Candidates[23]; c.Accepted || c.ValidAcc != 96.009995 || c.Stage != "operation" {
		t.Errorf("layer 7's operation: %+v", c)
	}
}

func TestReplayTableAndReleased(t *testing.T) {
	out, errOut, code := runCmd(t, "replay", "--log", publishedLog)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"depth stage", "kernel stage", "final: depth 16 width 56", "params 453,498", "the same as the log's final architecture"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q", want)
		}
	}
	out, errOut, code = runCmd(t, "replay", "--log", publishedLog, "--released", "--json")
	if code != 1 || out != "" || !strings.Contains(errOut, "candidate not in the log") || !strings.Contains(errOut, "w56-o1010000110000000-k3333333333333333") {
		t.Errorf("released: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, errOut, code = runCmd(t, "replay"); code != 1 || !strings.Contains(errOut, "-log is required") {
		t.Errorf("no -log: %d %q", code, errOut)
	}
	if _, errOut, code = runCmd(t, "replay", "--log", publishedLog, "--order", "sideways"); code != 1 || !strings.Contains(errOut, "order") {
		t.Errorf("bad order: %d %q", code, errOut)
	}
}

func TestReplayToLedgerAndReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "published.jsonl")
	if _, errOut, code := runCmd(t, "replay", "--log", publishedLog, "--ledger", path); code != 0 {
		t.Fatalf("replay: %s", errOut)
	}
	recs, warns, err := ledger.Read(path)
	if err != nil || len(warns) > 0 || len(recs) != 46 {
		t.Fatalf("%d records, %v, %v", len(recs), warns, err)
	}
	if recs[18].Key != "w56-o1010000000000000-k3333333333333333" || !recs[18].Accepted || len(recs[18].Result.Curve) != 20 || recs[18].Recipe.Epochs != 600 {
		t.Errorf("record 18: %+v", recs[18])
	}
	// Replaying again into the same ledger adds nothing.
	if _, errOut, code := runCmd(t, "replay", "--log", publishedLog, "--ledger", path); code != 0 {
		t.Fatalf("second replay: %s", errOut)
	}
	if recs, _, _ = ledger.Read(path); len(recs) != 46 {
		t.Errorf("second replay appended: %d records", len(recs))
	}
	out, errOut, code := runCmd(t, "report", "--ledger", path)
	if code != 0 {
		t.Fatalf("report: %s", errOut)
	}
	table, _, _ := runCmd(t, "replay", "--log", publishedLog)
	for _, want := range []string{"final: depth 16 width 56 ops [1 0 1 0", "params 453,498, train 99.09%, valid 96.00%", "-> width stage ends: width 52 rejected"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(table, out[strings.Index(out, "\ndepth stage"):strings.Index(out, "final:")]) {
		t.Error("report's table differs from replay's")
	}
	if _, errOut, code := runCmd(t, "report", "--ledger", filepath.Join(t.TempDir(), "none")); code != 1 || !strings.Contains(errOut, "no such file") {
		t.Errorf("missing ledger: %d %q", code, errOut)
	}
}
