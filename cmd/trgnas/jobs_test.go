package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/slurm"
)

// decisionRecords reads a ledger's records that are not speculative.
func decisionRecords(t *testing.T, path string) []nas.Record {
	t.Helper()
	recs, warns, err := ledger.Read(path)
	if err != nil || len(warns) > 0 {
		t.Fatalf("ledger %s: %v %v", path, warns, err)
	}
	var out []nas.Record
	for _, r := range recs {
		if !r.Speculative {
			out = append(out, r)
		}
	}
	return out
}

// jobDir writes a job directory by hand, as the Slurm evaluator lays it out.
func jobDir(t *testing.T, work, key, jobid string, files map[string]string) {
	t.Helper()
	d := filepath.Join(work, key+"-0123")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	files["spec.json"] = `{"key": "` + key + `"}`
	if jobid != "" {
		files["jobid"] = jobid + "\n"
		files["attempts"] = "1 " + jobid + " 2026-01-02T03:04:05Z\n"
		files["job-"+jobid+".log"] = "loading\nepoch 1/3 loss 0.5\n"
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(d, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestJobsCommand(t *testing.T) {
	work := t.TempDir()
	jobDir(t, work, "w8-o000-k333", "41", map[string]string{})
	jobDir(t, work, "w8-o00-k33", "", map[string]string{"result.json": "{}"})
	jobDir(t, work, "w4-o000-k333", "", map[string]string{})

	out, errOut, code := runCmd(t, "jobs", "-slurm-dir", work)
	if code != 0 {
		t.Fatal(errOut)
	}
	for _, want := range []string{"3 candidates: 1 done, 0 failed, 1 submitted, 1 idle", "w8-o000-k333  SUBMITTED  41", "epoch 1/3 loss 0.5", "w4-o000-k333  IDLE"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "w8-o00-k33 ") {
		t.Errorf("a done candidate listed without -all:\n%s", out)
	}

	out, errOut, code = runCmd(t, "jobs", "-slurm-dir", work, "-all", "-json")
	if code != 0 {
		t.Fatal(errOut)
	}
	var jobs []slurm.Job
	if err := json.Unmarshal([]byte(out), &jobs); err != nil || len(jobs) != 3 {
		t.Fatalf("%d jobs, %v:\n%s", len(jobs), err, out)
	}
	if j := jobs[1]; j.Key != "w8-o00-k33" || j.State != slurm.StateDone {
		t.Errorf("job %+v", j)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "-slurm-dir is required"},
		{[]string{"-slurm-dir", filepath.Join(work, "missing")}, "no such file"},
		{[]string{"-slurm-dir", work, "extra"}, "unexpected arguments"},
	} {
		if _, errOut, code := runCmd(t, append([]string{"jobs"}, tc.args...)...); code == 0 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d %q", tc.args, code, errOut)
		}
	}
}

func TestStatusLines(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got := statusLines([]inFlight{
		{key: "w8-o000-k333", state: "RUNNING job 7", progress: "epoch 2/4\n", attempts: 2, since: now.Add(-90 * time.Second)},
		{key: "w4-o000-k333", state: "slot 1"},
	}, now)
	want := []string{"in flight: 2", "  w8-o000-k333 RUNNING job 7 attempt 2 for 1m30s: epoch 2/4", "  w4-o000-k333 slot 1"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("status lines\n%q\nwant\n%q", got, want)
	}
}

// With -parallel and a status period, the search prints the candidates in
// flight while they run, and records the sequential search's decisions.
func TestSearchParallelPrintsStatus(t *testing.T) {
	dir := t.TempDir()
	out, errOut, code := runCmd(t, append([]string{"search", "-ledger", filepath.Join(dir, "l.jsonl"), "-fake-epoch", "30ms",
		"-parallel", "3", "-status-every", "50ms"}, smallSearch...)...)
	if code != 0 {
		t.Fatal(errOut)
	}
	if !strings.Contains(out, "in flight: ") || !strings.Contains(out, " slot ") {
		t.Errorf("no status line in the output:\n%s", out)
	}
}

// -parallel with the trainer evaluator trains several candidates at once in
// this process (a runner.Pool) and records the sequential search's decisions
// and results.
func TestSearchParallelTrainer(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-evaluator", "trainer", "-backend", "go", "-dataset", "synthetic", "-synth-n", "240", "-synth-size", "8",
		"-epochs", "1", "-batch", "32", "-min-depth", "2", "-max-depth", "3", "-min-width", "4", "-max-width", "8", "-width-step", "4"}
	seq, par := filepath.Join(dir, "seq.jsonl"), filepath.Join(dir, "par.jsonl")
	if _, errOut, code := runCmd(t, append([]string{"search", "-ledger", seq}, args...)...); code != 0 {
		t.Fatal(errOut)
	}
	if _, errOut, code := runCmd(t, append([]string{"search", "-ledger", par, "-parallel", "2"}, args...)...); code != 0 {
		t.Fatal(errOut)
	}
	a, b := decisionRecords(t, seq), decisionRecords(t, par)
	if len(a) != len(b) || len(a) < 5 {
		t.Fatalf("%d and %d records", len(a), len(b))
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Accepted != b[i].Accepted || a[i].Result.ValidAcc != b[i].Result.ValidAcc || a[i].Result.TrainAcc != b[i].Result.TrainAcc {
			t.Errorf("record %d: %s %v %g, sequential %s %v %g", i, b[i].Key, b[i].Accepted, b[i].Result.ValidAcc, a[i].Key, a[i].Accepted, a[i].Result.ValidAcc)
		}
	}
}
