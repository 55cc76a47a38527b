package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
)

// writeIDX writes Fashion-MNIST-layout idx files in dir: n training images
// (the "train" prefix) or n test images ("t10k") of 8x8 pixels whose
// brightness pattern depends on the label, so that a small network learns
// them.
func writeIDX(t *testing.T, dir, prefix string, n int, seed byte) {
	t.Helper()
	const h, w = 8, 8
	img := make([]byte, n*h*w)
	lab := make([]byte, n)
	for i := range n {
		l := byte(i % 4)
		lab[i] = l
		for p := range h * w {
			v := byte(40)
			if (p/w)%4 == int(l) { // a bright row band per class
				v = 220
			}
			img[i*h*w+p] = v + byte((i*7+p*13+int(seed))%23)
		}
	}
	file := func(name string, dims []int, body []byte) {
		var b bytes.Buffer
		b.Write([]byte{0, 0, 8, byte(len(dims))})
		for _, d := range dims {
			binary.Write(&b, binary.BigEndian, uint32(d))
		}
		b.Write(body)
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b.Bytes())
		zw.Close()
		if err := os.WriteFile(filepath.Join(dir, name), z.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file(prefix+"-images-idx3-ubyte.gz", []int{n, h, w}, img)
	file(prefix+"-labels-idx1-ubyte.gz", []int{n}, lab)
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// TestFinal runs a small real search on Fashion-MNIST-layout files whose
// test files are missing, then the final step: the search never needs the
// test set, the final step reads it, records its result once, and a second
// run trains nothing.
func TestFinal(t *testing.T) {
	if testing.Short() {
		t.Skip("trains networks")
	}
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "fm")
	if err := os.Mkdir(dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeIDX(t, dataDir, "train", 400, 0)
	path := filepath.Join(dir, "l.jsonl")
	out, errOut, code := runCmd(t, "search", "-ledger", path, "-dataset", "fashion-mnist", "-data-dir", dataDir,
		"-min-depth", "1", "-max-depth", "2", "-min-width", "4", "-max-width", "8", "-width-step", "4",
		"-epochs", "1", "-batch", "32", "-lr", "0.05", "-target-acc", "100")
	if code != 0 {
		t.Fatalf("search without test files: exit %d: %s\n%s", code, errOut, out)
	}
	lf, _, err := ledger.ReadFile(path)
	if err != nil || lf.Header == nil || lf.Header.Source == nil || lf.Header.Source.Dataset != "fashion-mnist" {
		t.Fatalf("header %+v: %v", lf.Header, err)
	}
	if !strings.HasPrefix(lf.Header.Dataset, "fashion-mnist-train ") {
		t.Errorf("header names the data %q", lf.Header.Dataset)
	}
	found, _, err := nas.FoundArch(lf)
	if err != nil {
		t.Fatal(err)
	}

	// The final step is the first to read the test set.
	_, errOut, code = runCmd(t, "final", "-ledger", path, "-epochs", "2", "-quiet")
	if code == 0 || !strings.Contains(errOut, "t10k-images-idx3-ubyte") {
		t.Fatalf("final without test files: exit %d, %q", code, errOut)
	}
	writeIDX(t, dataDir, "t10k", 100, 5)
	lines := countLines(t, path)
	out, errOut, code = runCmd(t, "final", "-ledger", path, "-epochs", "6", "-quiet", "-json")
	if code != 0 {
		t.Fatalf("final: exit %d: %s", code, errOut)
	}
	var rec nas.FinalRecord
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Role != nas.RoleFound || rec.Result.Arch.Key() != found.Key() || rec.TrainImages != 400 || rec.TestImages != 100 ||
		rec.Recipe.Epochs != 6 || len(rec.Result.Curve) != 6 || rec.Result.Params != found.Params(1, 10) {
		t.Errorf("final record %+v", rec)
	}
	if rec.Result.TestAcc < 50 {
		t.Errorf("test accuracy %.2f on an easy set", rec.Result.TestAcc)
	}
	if countLines(t, path) != lines+1 {
		t.Errorf("ledger grew from %d to %d lines, want one final record", lines, countLines(t, path))
	}

	// Again: nothing is trained, the record is the same.
	out, errOut, code = runCmd(t, "final", "-ledger", path, "-epochs", "6", "-json")
	if code != 0 || !strings.Contains(errOut, "nothing trained") || countLines(t, path) != lines+1 {
		t.Fatalf("second final: exit %d, %q, %d lines", code, errOut, countLines(t, path))
	}
	var again nas.FinalRecord
	if err := json.Unmarshal([]byte(out), &again); err != nil || again.Result.TestAcc != rec.Result.TestAcc {
		t.Errorf("second final gave %+v (%v)", again, err)
	}

	// A baseline with the same recipe is a record of its own; report lists both.
	if _, errOut, code = runCmd(t, "final", "-ledger", path, "-epochs", "2", "-quiet", "-arch", "w4-o0-k3"); code != 0 {
		t.Fatalf("baseline: %s", errOut)
	}
	out, _, code = runCmd(t, "report", "-ledger", path)
	if code != 0 || !strings.Contains(out, "final training") || !strings.Contains(out, "baseline  w4-o0-k3") || !strings.Contains(out, "found     "+found.Key()) ||
		!strings.Contains(out, fmt.Sprintf(" %5d  %s\n", rec.Recipe.Seed, backendKind(rec.Result.Backend))) || backendKind(rec.Result.Backend) == "" {
		t.Errorf("report:\n%s", out)
	}
	// With the test-time flip: a record of its own, trained as the first
	// (same recipe and seed), so its accuracy from the images alone is the
	// first record's.
	out, errOut, code = runCmd(t, "final", "-ledger", path, "-epochs", "6", "-quiet", "-json", "-test-flip")
	var flipped nas.FinalRecord
	if code != 0 || json.Unmarshal([]byte(out), &flipped) != nil {
		t.Fatalf("final -test-flip: exit %d: %s\n%s", code, errOut, out)
	}
	if !flipped.Recipe.TestFlip || flipped.Result.TestAccNoFlip != rec.Result.TestAcc || flipped.Result.TestAcc == 0 {
		t.Errorf("final -test-flip: recipe %+v, test %.2f%%, alone %.2f%%; without the flip %.2f%%",
			flipped.Recipe, flipped.Result.TestAcc, flipped.Result.TestAccNoFlip, rec.Result.TestAcc)
	}
	// A search resumed after the final step still replays.
	if _, errOut, code = runCmd(t, "search", "-ledger", path, "-dataset", "fashion-mnist", "-data-dir", dataDir,
		"-min-depth", "1", "-max-depth", "2", "-min-width", "4", "-max-width", "8", "-width-step", "4",
		"-epochs", "1", "-batch", "32", "-lr", "0.05", "-target-acc", "100"); code != 0 {
		t.Errorf("search after final: %s", errOut)
	}

	// Three of the candidates again at a longer budget, into a second
	// ledger: the best and the worst of the search among them.
	long := filepath.Join(dir, "long.jsonl")
	out, errOut, code = runCmd(t, "retrain", "-ledger", path, "-out", long, "-count", "3", "-epochs", "3")
	if code != 0 || !strings.Contains(out, "rank agreement of 3 candidates") {
		t.Fatalf("retrain: exit %d: %s\n%s", code, errOut, out)
	}
	recs := lf.Records()
	best, worst := recs[0], recs[0]
	for _, r := range recs {
		if r.Result.ValidAcc > best.Result.ValidAcc {
			best = r
		}
		if r.Result.ValidAcc < worst.Result.ValidAcc {
			worst = r
		}
	}
	got := strings.Join(ledgerKeys(t, long), " ")
	if len(ledgerKeys(t, long)) != 3 || !strings.Contains(got, best.Key) || !strings.Contains(got, worst.Key) {
		t.Errorf("retrained %s; search's best %s, worst %s", got, best.Key, worst.Key)
	}
	if lf2, _, _ := ledger.ReadFile(long); lf2 == nil || lf2.Header.Recipe.Epochs != 3 || lf2.Header.Dataset != lf.Header.Dataset {
		t.Errorf("retrain header %+v", lf2.Header)
	}
	out, _, code = runCmd(t, "retrain", "-ledger", path, "-out", long, "-count", "3", "-epochs", "3")
	if code != 0 || strings.Count(out, "already in") != 3 || len(ledgerKeys(t, long)) != 3 {
		t.Errorf("retrain again trained something:\n%s", out)
	}
}

func TestFinalErrors(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "fake.jsonl")
	if _, errOut, code := runCmd(t, "search", "-ledger", ledger, "-evaluator", "fake", "-fake-epoch", "0s",
		"-min-depth", "2", "-max-depth", "3", "-min-width", "8", "-max-width", "8"); code != 0 {
		t.Fatal(errOut)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"final", "-epochs", "1"}, "-ledger is required"},
		{[]string{"final", "-ledger", ledger}, "-epochs 0"},
		{[]string{"final", "-ledger", filepath.Join(dir, "none.jsonl"), "-epochs", "1"}, "none.jsonl"},
		{[]string{"final", "-ledger", ledger, "-epochs", "1"}, "does not say where its data"},
		{[]string{"final", "-ledger", ledger, "-epochs", "1", "-arch", "w8-o9-k3"}, "-arch"},
		{[]string{"final", "-ledger", ledger, "-epochs", "1", "-dataset", "synthetic"}, "not the search's data"},
	} {
		if _, errOut, code := runCmd(t, tc.args...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, errOut)
		}
	}
	// An unfinished search has no found network yet.
	part := filepath.Join(dir, "part.jsonl")
	b, _ := os.ReadFile(ledger)
	first := bytes.SplitAfterN(b, []byte("\n"), 3)
	os.WriteFile(part, append(first[0], first[1]...), 0o644)
	if _, errOut, code := runCmd(t, "final", "-ledger", part, "-epochs", "1", "-dataset", "synthetic"); code == 0 || !strings.Contains(errOut, "not finished") {
		t.Errorf("unfinished search: exit %d, %q", code, errOut)
	}
}
