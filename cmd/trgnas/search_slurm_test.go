package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/slurm/slurmtest"
)

// The tests in this file run trgnas search through a real single-node Slurm
// cluster that scripts/slurm-local.sh starts (or finds running). Without
// Slurm they are skipped, unless TRGNAS_SLURM_TESTS=1, which makes them
// fail instead (.ci/run sets it).

// slurmCluster sets SLURM_CONF for the test (and the processes it starts)
// and cancels the jobs named with the returned prefix at the end.
func slurmCluster(t *testing.T) (prefix string) {
	t.Helper()
	t.Setenv("SLURM_CONF", slurmtest.Conf(t))
	prefix = fmt.Sprintf("trgnas-cmdtest%d-", os.Getpid())
	t.Cleanup(func() {
		out, err := exec.Command("squeue", "-h", "-o", "%i %j").Output()
		if err != nil {
			t.Logf("cleanup: squeue: %v", err)
			return
		}
		for l := range strings.SplitSeq(string(out), "\n") {
			if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[1], prefix) {
				exec.Command("scancel", f[0]).Run()
			}
		}
	})
	return prefix
}

// fakeTrain stands in for trgnas train in a job: its score is a hash of the
// key, so that some changes are accepted and others not; it sleeps the
// seconds in $CTL/sleep and logs each start to $CTL/starts.
const fakeTrain = `#!/bin/bash
key=$1 arch=$2
echo "$key $SLURM_JOB_ID" >>"$CTL/starts"
echo "training $key" >&2
if [ -f "$CTL/fail-$key" ]; then echo "loss is NaN" >&2; exit 7; fi
sleep "$(cat "$CTL/sleep" 2>/dev/null || echo 0)"
h=$(printf '%s' "$key" | cksum | cut -d' ' -f1)
echo "{\"arch\": $arch, \"train_acc\": 99, \"valid_acc\": 90.$((h % 100)), \"backend\": \"fake-job\"}"
`

type slurmSearch struct {
	dir, ctl, prefix string
}

func newSlurmSearch(t *testing.T) *slurmSearch {
	s := &slurmSearch{dir: t.TempDir(), prefix: slurmCluster(t)}
	s.ctl = filepath.Join(s.dir, "ctl")
	if err := os.MkdirAll(s.ctl, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "fake-train.sh"), []byte(fakeTrain), 0o755); err != nil {
		t.Fatal(err)
	}
	return s
}

// args are trgnas search's arguments for a run with its own ledger and
// work dir, named name.
func (s *slurmSearch) args(name string, parallel int) []string {
	return []string{"search", "-ledger", filepath.Join(s.dir, name+".jsonl"), "-evaluator", "slurm",
		"-slurm-dir", filepath.Join(s.dir, name+"-jobs"), "-slurm-name", s.prefix, "-slurm-poll", "200ms", "-slurm-cpus", "1",
		"-slurm-setup", "export CTL=" + s.ctl,
		"-slurm-command", filepath.Join(s.dir, "fake-train.sh") + " {{.Key}} {{q .ArchJSON}}",
		"-dataset", "synthetic", "-synth-n", "240", "-epochs", "1",
		"-min-depth", "2", "-max-depth", "4", "-min-width", "4", "-max-width", "12", "-width-step", "4",
		"-parallel", fmt.Sprint(parallel), "-status-every", "500ms"}
}

// sameDecisions compares the decision records of two ledgers.
func sameDecisions(t *testing.T, got, want []nas.Record) {
	t.Helper()
	if len(got) != len(want) || len(want) < 5 {
		t.Fatalf("%d decision records, want %d (>= 5)", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Seq != w.Seq || g.Key != w.Key || g.Accepted != w.Accepted || g.Reason != w.Reason || g.Result.ValidAcc != w.Result.ValidAcc {
			t.Errorf("record %d: %d %s %q %g, sequential %d %s %q %g", i, g.Seq, g.Key, g.Reason, g.Result.ValidAcc, w.Seq, w.Key, w.Reason, w.Result.ValidAcc)
		}
	}
}

// starts counts the fake trainer's starts by key.
func (s *slurmSearch) starts(t *testing.T) map[string]int {
	b, err := os.ReadFile(filepath.Join(s.ctl, "starts"))
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		n[strings.Fields(l)[0]]++
	}
	return n
}

// TestSearchSlurm runs a small search through Slurm sequentially, then with
// 3 candidates in flight, then with 2 in flight killed (SIGKILL) while jobs
// run and re-run: the decision records are the sequential search's every
// time, and after the kill no job is submitted twice.
func TestSearchSlurm(t *testing.T) {
	s := newSlurmSearch(t)
	t0 := time.Now()
	if _, errOut, code := runCmd(t, s.args("seq", 1)...); code != 0 {
		t.Fatal(errOut)
	}
	seq := decisionRecords(t, filepath.Join(s.dir, "seq.jsonl"))
	t.Logf("sequential: %d candidates in %.1f s", len(seq), time.Since(t0).Seconds())
	accepted := 0
	for _, r := range seq {
		t.Logf("  %d %s %s: %s", r.Seq, r.Stage, r.Key, r.Reason)
		if r.Accepted {
			accepted++
		}
	}
	if accepted < 2 || accepted == len(seq) {
		t.Errorf("%d of %d candidates accepted: want a mix", accepted, len(seq))
	}

	t.Run("parallel", func(t *testing.T) {
		t0 := time.Now()
		out, errOut, code := runCmd(t, s.args("par", 3)...)
		if code != 0 {
			t.Fatal(errOut)
		}
		t.Logf("3 in flight: %.1f s", time.Since(t0).Seconds())
		sameDecisions(t, decisionRecords(t, filepath.Join(s.dir, "par.jsonl")), seq)
		if !strings.Contains(out, "in flight: ") {
			t.Errorf("no status line while jobs ran:\n%s", out)
		}
		// Predicted candidates that the decisions made useless were
		// scancelled: the queue drains (a job whose result is in may take a
		// moment to leave it).
		var q []byte
		var err error
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			if q, err = exec.Command("squeue", "-h", "-o", "%i %j %T").Output(); err == nil && !strings.Contains(string(q), s.prefix) {
				break
			}
		}
		if err != nil || strings.Contains(string(q), s.prefix) {
			t.Errorf("jobs still queued 10 s after the search (%v):\n%s", err, q)
		}
	})

	t.Run("failed", func(t *testing.T) {
		bad := seq[1].Key
		if err := os.WriteFile(filepath.Join(s.ctl, "fail-"+bad), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(filepath.Join(s.ctl, "fail-"+bad))
		if _, errOut, code := runCmd(t, append(s.args("fail", 2), "-slurm-retries", "1")...); code != 0 {
			t.Fatal(errOut)
		}
		recs := decisionRecords(t, filepath.Join(s.dir, "fail.jsonl"))
		if len(recs) < 3 || recs[1].Key != bad || !recs[1].Result.Failed || recs[1].Accepted || !strings.HasPrefix(recs[1].Reason, "failed") {
			t.Fatalf("records %+v: want %s recorded as failed, then the search going on", recs, bad)
		}
		dirs, _ := filepath.Glob(filepath.Join(s.dir, "fail-jobs", bad+"*", "attempts"))
		if len(dirs) != 1 {
			t.Fatalf("job directories of %s: %q", bad, dirs)
		}
		if b, _ := os.ReadFile(dirs[0]); strings.Count(string(b), "\n") != 2 {
			t.Errorf("%s: want 2 submissions (1 retry):\n%s", dirs[0], b)
		}
	})

	t.Run("killed", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(s.ctl, "sleep"), []byte("1"), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(s.ctl, "starts"))
		args := s.args("kill", 2)
		start := func() (*exec.Cmd, *bufio.Scanner) { return startMain(t, args) }
		// Run 1: killed once two decisions are made, while jobs are in flight.
		cmd, sc := start()
		decided := 0
		for decided < 2 && sc.Scan() {
			if strings.Contains(sc.Text(), ": train ") {
				decided++
			}
		}
		time.Sleep(300 * time.Millisecond) // the next jobs are submitted
		jobs := filepath.Join(s.dir, "kill-jobs")
		inFlight, _ := filepath.Glob(filepath.Join(jobs, "*", "jobid"))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if decided < 2 || len(inFlight) == 0 {
			t.Fatalf("killed after %d decisions with %d jobs in flight; want 2 and some", decided, len(inFlight))
		}
		// Run 2: the same command finishes the search.
		cmd, sc = start()
		for sc.Scan() {
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("re-run: %v", err)
		}
		sameDecisions(t, decisionRecords(t, filepath.Join(s.dir, "kill.jsonl")), seq)
		attempts, _ := filepath.Glob(filepath.Join(jobs, "*", "attempts"))
		for _, p := range attempts {
			b, _ := os.ReadFile(p)
			if n := strings.Count(strings.TrimSpace(string(b)), "\n") + 1; n != 1 {
				t.Errorf("%s: %d submissions:\n%s", p, n, b)
			}
		}
		for k, n := range s.starts(t) {
			if n != 1 {
				t.Errorf("%s started %d times", k, n)
			}
		}
		if len(attempts) < len(seq) {
			t.Errorf("%d job directories with submissions for %d decisions", len(attempts), len(seq))
		}
		out, errOut, code := runCmd(t, "jobs", "-slurm-dir", jobs)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("%d candidates: ", len(attempts))) {
			t.Errorf("trgnas jobs: exit %d\n%s%s", code, out, errOut)
		}
	})
}

// TestSearchSlurmTrains runs a tiny search whose jobs train for real: the
// trgnas binary, built by the test, runs trgnas train in each job.
func TestSearchSlurmTrains(t *testing.T) {
	prefix := slurmCluster(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	t0 := time.Now()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "trgnas"), ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("go build: %.1f s", time.Since(t0).Seconds())
	ledger := filepath.Join(dir, "l.jsonl")
	t0 = time.Now()
	cmd := exec.Command(filepath.Join(bin, "trgnas"), "search", "-ledger", ledger, "-evaluator", "slurm",
		"-slurm-dir", filepath.Join(dir, "jobs"), "-slurm-name", prefix, "-slurm-poll", "300ms", "-slurm-cpus", "1",
		"-slurm-setup", "export PATH="+bin+":$PATH GOMLX_BACKEND=go GOMLX_NO_AUTO_INSTALL=1",
		"-backend", "go", "-dataset", "synthetic", "-synth-n", "600", "-synth-size", "8", "-synth-channels", "1",
		"-epochs", "2", "-batch", "32", "-lr", "0.1", "-min-depth", "2", "-max-depth", "3", "-min-width", "4", "-max-width", "8", "-width-step", "4",
		"-parallel", "2")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("trgnas search: %v\n%s", err, out)
	}
	recs := decisionRecords(t, ledger)
	t.Logf("%d candidates trained as Slurm jobs in %.1f s (2 in flight)", len(recs), time.Since(t0).Seconds())
	for _, r := range recs {
		t.Logf("  %d %s %s: valid %.2f, %.2f s training, backend %s: %s", r.Seq, r.Stage, r.Key, r.Result.ValidAcc, r.Result.WallSeconds, r.Result.Backend, r.Reason)
	}
	if len(recs) < 5 {
		t.Fatalf("%d decision records:\n%s", len(recs), out)
	}
	best := 0.0
	for _, r := range recs {
		best = max(best, r.Result.ValidAcc)
	}
	if best < 50 {
		t.Errorf("best validation accuracy %.2f: the jobs do not learn (4 classes: chance is 25)", best)
	}
	for _, r := range recs {
		res := r.Result
		if res.Failed || len(res.Curve) != 2 || res.ValidAcc <= 0 || res.Params != res.Arch.Params(1, 4) || res.Backend == "" || res.Backend == "fake" {
			t.Errorf("record %d %s: failed %v (%s), %d epochs, valid %g, params %d, backend %q", r.Seq, r.Key, res.Failed, res.Error, len(res.Curve), res.ValidAcc, res.Params, res.Backend)
		}
	}
}
