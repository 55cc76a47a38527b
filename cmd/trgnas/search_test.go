package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
)

// TestMain lets the tests run the command as a real process: with
// TRGNAS_TEST_MAIN=1 the test binary is trgnas.
func TestMain(m *testing.M) {
	if os.Getenv("TRGNAS_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// smallSearch is a search space of a few dozen candidates.
var smallSearch = []string{"-evaluator", "fake", "-epochs", "4", "-min-depth", "3", "-max-depth", "6",
	"-min-width", "8", "-max-width", "20", "-width-step", "4"}

var trainingLine = regexp.MustCompile(`^\[(\w+)\] candidate (\d+) (\S+): training`)

func ledgerKeys(t *testing.T, path string) []string {
	t.Helper()
	recs, warns, err := ledger.Read(path)
	if err != nil || len(warns) > 0 {
		t.Fatalf("ledger %s: %v %v", path, warns, err)
	}
	var keys []string
	for i, r := range recs {
		if r.Seq != i {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
		keys = append(keys, r.Key)
	}
	return keys
}

func TestSearchFakeRunsAndResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.jsonl")
	args := append([]string{"search", "-ledger", path, "-fake-epoch", "1ms"}, smallSearch...)
	out, errOut, code := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	keys := ledgerKeys(t, path)
	if n := strings.Count(out, ": training ("); n != len(keys) || n < 10 {
		t.Errorf("%d candidates trained, %d recorded", n, len(keys))
	}
	for _, want := range []string{"    epoch 4/4 train", "-> depth stage ends", "final: depth"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	out, errOut, code = runCmd(t, args...)
	if code != 0 || strings.Contains(out, ": training (") || !strings.Contains(out, "resumed "+path) {
		t.Errorf("second run retrained or failed (%d, %s):\n%s", code, errOut, out)
	}
	if again := ledgerKeys(t, path); !reflect.DeepEqual(again, keys) {
		t.Errorf("second run changed the ledger")
	}
	// Another config on the same ledger is refused, saying what differs.
	bad := append(append([]string(nil), args...), "-max-width", "24")
	if _, errOut, code = runCmd(t, bad...); code != 1 || !strings.Contains(errOut, "config.max_width: ledger has 20, this run has 24") {
		t.Errorf("config change: %d %q", code, errOut)
	}
	bad = append(append([]string(nil), args...), "-epochs", "5")
	if _, errOut, code = runCmd(t, bad...); code != 1 || !strings.Contains(errOut, "recipe.epochs: ledger has 4, this run has 5") {
		t.Errorf("recipe change: %d %q", code, errOut)
	}
}

func TestSearchCacheFromAnotherLedger(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "a.jsonl")
	if _, errOut, code := runCmd(t, append([]string{"search", "-ledger", first, "-fake-epoch", "0s"}, smallSearch...)...); code != 0 {
		t.Fatal(errOut)
	}
	second := filepath.Join(dir, "b.jsonl")
	args := append([]string{"search", "-ledger", second, "-fake-epoch", "0s", "-cache", first, "-order", "kernels-ops"}, smallSearch...)
	out, errOut, code := runCmd(t, args...)
	if code != 0 {
		t.Fatal(errOut)
	}
	n := len(ledgerKeys(t, first))
	if !strings.Contains(out, fmt.Sprintf("cache %s: %d of %d records", first, n, n)) {
		t.Errorf("output lacks the cache line:\n%s", out)
	}
	trained := strings.Count(out, ": training (")
	if recorded := len(ledgerKeys(t, second)); trained >= recorded || trained == 0 {
		t.Errorf("%d trained for %d recorded: the cache was not used", trained, recorded)
	}
}

func TestSearchFlagErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"search"}, "-ledger is required"},
		{[]string{"search", "-ledger", filepath.Join(dir, "a"), "-evaluator", "fake", "-min-depth", "0"}, "min_depth"},
		{[]string{"search", "-ledger", filepath.Join(dir, "b"), "-evaluator", "fake", "-epochs", "0"}, "epochs"},
		{[]string{"search", "-ledger", filepath.Join(dir, "c"), "-evaluator", "magic"}, `-evaluator "magic"`},
		{[]string{"search", "-ledger", filepath.Join(dir, "d"), "-evaluator", "fake", "-order", "x"}, "order"},
		{[]string{"search", "-ledger", filepath.Join(dir, "e"), "-dataset", "cifar10"}, "needs --data-dir"},
		{[]string{"search", "-ledger", filepath.Join(dir, "f"), "-dataset", "cifar10", "-data-dir", dir}, dir},
		{[]string{"search", "-ledger", filepath.Join(dir, "i"), "-dataset", "synthetic", "-classes", "0,x"}, `-classes: item 2 "x"`},
		{[]string{"search", "-ledger", filepath.Join(dir, "j"), "-dataset", "synthetic", "-classes", "0,9"}, "classes[1] = 9: unknown class id"},
		{[]string{"search", "-ledger", filepath.Join(dir, "g"), "-dataset", "imagenet"}, `-dataset "imagenet"`},
		{[]string{"search", "-ledger", filepath.Join(dir, "h"), "-dataset", "synthetic", "-valid-frac", "1"}, "-valid-frac 1"},
		{[]string{"search", "-ledger", filepath.Join(dir, "k"), "-evaluator", "fake", "-anneal", "linear"}, `-anneal: want "epoch" or "step"`},
	} {
		if _, errOut, code := runCmd(t, tc.args...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, errOut)
		}
	}
}

func TestSearchStageOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.jsonl")
	args := append([]string{"search", "-ledger", path, "-fake-epoch", "1ms", "-stage"}, smallSearch...)
	out, errOut, code := runCmd(t, args...)
	if code != 0 || !strings.Contains(out, "best so far (search in the width stage)") {
		t.Fatalf("exit %d %s:\n%s", code, errOut, out)
	}
	recs, _, _ := ledger.Read(path)
	for _, r := range recs {
		if r.Stage != nas.StageDepth {
			t.Errorf("record of stage %s after -stage", r.Stage)
		}
	}
}

// TestSearchSurvivesSIGKILL kills a real trgnas search process while it
// trains a candidate, runs the same command again and checks that no
// recorded candidate was trained twice, that the ledger is whole, and that
// the result is the uninterrupted search's. It runs with the real trainer
// (tiny synthetic data, pure-Go backend) and with the fake evaluator.
func TestSearchSurvivesSIGKILL(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		kill int // the candidate in flight when the process is killed
	}{
		{"trainer", []string{"-evaluator", "trainer", "-backend", "go", "-dataset", "synthetic", "-synth-n", "240", "-synth-size", "8",
			"-epochs", "2", "-batch", "32", "-min-depth", "2", "-max-depth", "3", "-min-width", "4", "-max-width", "8", "-width-step", "4"}, 3},
		{"fake", append([]string{"-fake-epoch", "40ms"}, smallSearch...), 5},
	} {
		t.Run(tc.name, func(t *testing.T) { killAndResume(t, tc.args, tc.kill) })
	}
}

// startMain starts this test binary as the trgnas command with args (see
// TRGNAS_TEST_MAIN) and returns it with a scanner of its standard output;
// its standard error goes to the test's.
func startMain(t *testing.T, args []string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "TRGNAS_TEST_MAIN=1")
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(pipe)
}

func killAndResume(t *testing.T, searchArgs []string, kill int) {
	dir := t.TempDir()
	path := filepath.Join(dir, "l.jsonl")
	args := append([]string{"search", "-ledger", path}, searchArgs...)
	start := func() (*exec.Cmd, *bufio.Scanner) { return startMain(t, args) }

	// Run 1: killed after the first epoch of candidate kill.
	cmd, sc := start()
	inFlight := ""
	for sc.Scan() {
		if m := trainingLine.FindStringSubmatch(sc.Text()); m != nil && m[2] == fmt.Sprint(kill) {
			inFlight = m[3]
		}
		if inFlight != "" && strings.HasPrefix(sc.Text(), "    epoch 1/") {
			break
		}
	}
	if inFlight == "" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("candidate %d never started", kill)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("process not killed by SIGKILL: %v", err)
	}
	// The killed process's lock note is left behind; the resume below must
	// not be blocked by it.
	if h, err := ledger.ReadLockHolder(path); err != nil || h.PID != cmd.Process.Pid {
		t.Errorf("lock note after the kill: %+v, %v", h, err)
	}
	recorded := ledgerKeys(t, path)
	if len(recorded) != kill {
		t.Fatalf("%d records after the kill, want %d", len(recorded), kill)
	}

	// Run 2: the same command resumes.
	cmd, sc = start()
	var trained []string
	for sc.Scan() {
		if m := trainingLine.FindStringSubmatch(sc.Text()); m != nil {
			trained = append(trained, m[3])
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("second run: %v", err)
	}
	for _, k := range trained {
		for _, r := range recorded {
			if k == r {
				t.Errorf("recorded candidate %s trained again", k)
			}
		}
	}
	if len(trained) == 0 || trained[0] != inFlight {
		t.Errorf("the resumed run did not start with the candidate in flight %s: %q", inFlight, trained)
	}
	final := ledgerKeys(t, path)
	if !reflect.DeepEqual(final[:kill], recorded) || len(final) != kill+len(trained) {
		t.Errorf("ledger: %d records, %d trained after the kill", len(final), len(trained))
	}
	seen := map[string]bool{}
	for _, k := range final {
		if seen[k] {
			t.Errorf("%s recorded twice", k)
		}
		seen[k] = true
	}

	// The same search without a kill makes the same decisions.
	ref := filepath.Join(dir, "ref.jsonl")
	if _, errOut, code := runCmd(t, append([]string{"search", "-ledger", ref}, searchArgs...)...); code != 0 {
		t.Fatal(errOut)
	}
	got, _, _ := ledger.Read(path)
	want, _, _ := ledger.Read(ref)
	if len(got) != len(want) {
		t.Fatalf("killed and resumed: %d records, uninterrupted %d", len(got), len(want))
	}
	for i := range got {
		if got[i].Key != want[i].Key || got[i].Accepted != want[i].Accepted || got[i].Result.ValidAcc != want[i].Result.ValidAcc {
			t.Errorf("record %d: %s %v %g, uninterrupted %s %v %g", i, got[i].Key, got[i].Accepted, got[i].Result.ValidAcc,
				want[i].Key, want[i].Accepted, want[i].Result.ValidAcc)
		}
	}
}

func TestSearchRecipeDefaultsByDataset(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args            []string
		crop, cut       int
		flip, hasCutout bool
		anneal          string
	}{
		{[]string{"-dataset", "cifar10"}, 4, 16, true, true, nas.AnnealStep},
		{[]string{"-dataset", "mnist"}, 2, 0, false, false, nas.AnnealStep},
		{[]string{"-dataset", "synthetic"}, 0, 0, false, false, nas.AnnealStep},
		{[]string{"-dataset", "cifar10", "-cutout", "0", "-crop-pad", "1", "-flip=false"}, 1, 0, false, false, nas.AnnealStep},
		{[]string{"-dataset", "mnist", "-released"}, 2, 0, false, false, ""},
		{[]string{"-dataset", "mnist", "-released", "-anneal", "step"}, 2, 0, false, false, nas.AnnealStep},
		{[]string{"-dataset", "mnist", "-anneal", "step"}, 2, 0, false, false, nas.AnnealStep},
		{[]string{"-dataset", "mnist", "-anneal", "epoch"}, 2, 0, false, false, ""},
	} {
		path := filepath.Join(dir, strings.Join(tc.args, "")+".jsonl")
		args := append(append([]string{"search", "-ledger", path, "-fake-epoch", "0s", "-max-depth", "3", "-min-depth", "3", "-min-width", "8", "-max-width", "8"}, tc.args...), "-evaluator", "fake")
		if _, errOut, code := runCmd(t, args...); code != 0 {
			t.Fatal(errOut)
		}
		lf, _, err := ledger.ReadFile(path)
		if err != nil || lf.Header == nil {
			t.Fatal(err)
		}
		r := lf.Header.Recipe
		if r.CropPad != tc.crop || r.CutoutSize != tc.cut || r.Flip != tc.flip || r.Cutout != tc.hasCutout || r.Anneal != tc.anneal {
			t.Errorf("%v: recipe %+v", tc.args, r)
		}
	}
}

func TestSearchParallelRecordsTheSequentialSearch(t *testing.T) {
	dir := t.TempDir()
	seq, par := filepath.Join(dir, "seq.jsonl"), filepath.Join(dir, "par.jsonl")
	if _, errOut, code := runCmd(t, append([]string{"search", "-ledger", seq, "-fake-epoch", "0s"}, smallSearch...)...); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := runCmd(t, append([]string{"search", "-ledger", par, "-fake-epoch", "1ms", "-parallel", "3"}, smallSearch...)...); code != 0 {
		t.Fatal(errOut)
	}
	a, _, _ := ledger.Read(seq)
	b := decisionRecords(t, par)
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d and %d records", len(a), len(b))
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Accepted != b[i].Accepted || a[i].Reason != b[i].Reason {
			t.Errorf("record %d: %s %q vs %s %q", i, a[i].Key, a[i].Reason, b[i].Key, b[i].Reason)
		}
	}
}

func TestSearchSlurmFlags(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-evaluator", "slurm"}, "needs -slurm-dir"},
		{[]string{"-evaluator", "slurm", "-slurm-dir", dir, "-dataset", "cifar10"}, "needs --data-dir"},
	} {
		args := append([]string{"search", "-ledger", filepath.Join(dir, "l.jsonl")}, tc.args...)
		if _, errOut, code := runCmd(t, args...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q", tc.args, code, errOut)
		}
	}
}

// The data flags a Slurm job gets select, in trgnas train, the data the
// search was configured with.
func TestDataArgsAreTrainFlags(t *testing.T) {
	o := evalOptions{dataset: "synthetic", validFrac: 0.2, recipe: nas.Recipe{Seed: 3},
		synth: data.SyntheticConfig{N: 120, H: 8, W: 8, C: 2, Classes: 3, Noise: 0.1}}
	got := dataArgs(o)
	want := "--dataset synthetic --synth-n 120 --synth-size 8 --synth-channels 2 --synth-classes 3 --synth-noise 0.1 --valid-frac 0.2"
	if got != want {
		t.Fatalf("dataArgs %q, want %q", got, want)
	}
	spec, err := o.spec()
	if err != nil {
		t.Fatal(err)
	}
	trainSet, valid, _, err := spec.Split()
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"train", "--arch", "w2-o0-k3", "--epochs", "1", "--seed", "3", "--json", "--quiet"}, strings.Fields(got)...)
	out, errOut, code := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("trgnas train %v: %s", args, errOut)
	}
	var res nas.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if want := nas.Uniform(2, 1, 0, 3).Params(trainSet.C, len(trainSet.Classes)); res.Params != want {
		t.Errorf("trgnas train counted %d params, the search's data gives %d", res.Params, want)
	}
	if len(valid.Labels) == 0 {
		t.Error("no validation images")
	}
	if q := shellQuote("a b'c"); q != `'a b'\''c'` {
		t.Errorf("shellQuote: %s", q)
	}
}

// The ledger's versions string names the versions of GoMLX and of its
// compute module, then the evaluator and the backend.
func TestBuildVersions(t *testing.T) {
	v := buildVersions("trainer", "gofill")
	want := regexp.MustCompile(` gomlx v\S+ compute v\S+ evaluator trainer backend gofill$`)
	if !want.MatchString(v) {
		t.Errorf("buildVersions = %q, want it to match %s", v, want)
	}
}
