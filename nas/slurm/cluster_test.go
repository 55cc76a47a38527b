package slurm_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/slurm"
)

// The tests in this file run real jobs on a single-node Slurm cluster that
// scripts/slurm-local.sh starts (or finds running). Without Slurm they are
// skipped, unless TRGNAS_SLURM_TESTS=1, which makes them fail instead.

// startCluster runs "scripts/slurm-local.sh start" once per test binary and
// returns the SLURM_CONF=... setting it printed.
var startCluster = sync.OnceValues(func() (string, error) {
	if _, err := exec.LookPath("bash"); err != nil {
		return "", err
	}
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "slurm-local.sh"), "start")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/slurm-local.sh start: %v\n%s", err, stderr.String())
	}
	for l := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "export "); ok && strings.HasPrefix(v, "SLURM_CONF=") {
			return v, nil
		}
	}
	return "", fmt.Errorf("scripts/slurm-local.sh start printed no SLURM_CONF line: %q", out)
})

// cluster returns the environment for the Slurm commands, or skips (fails
// under TRGNAS_SLURM_TESTS=1) when no cluster can be had.
func cluster(t *testing.T) []string {
	t.Helper()
	conf, err := startCluster()
	if err != nil {
		if os.Getenv("TRGNAS_SLURM_TESTS") == "1" {
			t.Fatalf("TRGNAS_SLURM_TESTS=1 but no Slurm cluster: %v", err)
		}
		t.Skipf("no Slurm cluster (set TRGNAS_SLURM_TESTS=1 to make this a failure): %v", err)
	}
	return []string{conf}
}

// fakeTrainer is a deterministic stand-in for "trgnas train --json": its
// result is derived from the arch (valid_acc = width + depth + 30). The
// control directory steers it: file sleep-KEY-ATTEMPT, sleep-KEY or sleep
// holds the seconds to sleep; fail-KEY makes it exit 7. Each start and end
// is appended to CTL/events.
const fakeTrainer = `#!/bin/bash
key=$1 width=$2 depth=$3 attempt=$4 arch=$5
ctl=$FAKE_CTL
echo "start $key $attempt $SLURM_JOB_ID $(date +%s.%N)" >>"$ctl/events"
s=$(cat "$ctl/sleep-$key-$attempt" 2>/dev/null || cat "$ctl/sleep-$key" 2>/dev/null || cat "$ctl/sleep" 2>/dev/null || echo 0)
echo "loading $key" >&2
if [ -f "$ctl/fail-$key" ]; then
	echo "epoch 1: loss is NaN" >&2
	exit 7
fi
echo "training $key: epoch 1 of 1, sleeping $s" >&2
sleep "$s"
echo "end $key $attempt $SLURM_JOB_ID $(date +%s.%N)" >>"$ctl/events"
echo "{\"arch\": $arch, \"train_acc\": $((width + depth + 40)), \"valid_acc\": $((width + depth + 30)), \"backend\": \"fake\"}"
`

// fake is one test's fake trainer set-up.
type fake struct {
	work, ctl, script, prefix string
	env                       []string
}

func newFake(t *testing.T, env []string) *fake {
	t.Helper()
	d := t.TempDir()
	f := &fake{work: filepath.Join(d, "work"), ctl: filepath.Join(d, "ctl"), script: filepath.Join(d, "fake-train.sh"),
		prefix: fmt.Sprintf("trgnas-test%d-", os.Getpid()), env: env}
	if err := os.MkdirAll(f.ctl, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.script, []byte(fakeTrainer), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancelJobs(t, f.env, f.prefix) })
	return f
}

func (f *fake) config(retries int) slurm.Config {
	r := nas.DefaultRecipe()
	r.Epochs = 1
	return slurm.Config{
		WorkDir: f.work,
		Command: f.script + " {{.Key}} {{.Width}} {{.Depth}} {{.Attempt}} {{q .ArchJSON}}",
		Setup:   "export FAKE_CTL=" + f.ctl,
		Recipe:  r, Dataset: "synthetic-test",
		Name:      f.prefix,
		CPUs:      1,
		Time:      2 * time.Minute,
		Retries:   retries,
		Poll:      200 * time.Millisecond,
		LostAfter: 5 * time.Second,
		Env:       f.env,
	}
}

func (f *fake) set(t *testing.T, name, value string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(f.ctl, name), []byte(value), 0o644); err != nil {
		t.Fatal(err)
	}
}

// events returns the fake trainer's event lines of one kind ("start" or "end") for key.
func (f *fake) events(t *testing.T, kind, key string) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.ctl, "events"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out [][]string
	for l := range strings.SplitSeq(string(b), "\n") {
		if fs := strings.Fields(l); len(fs) == 5 && fs[0] == kind && (key == "" || fs[1] == key) {
			out = append(out, fs)
		}
	}
	return out
}

func newEval(t *testing.T, cfg slurm.Config) *slurm.Evaluator {
	t.Helper()
	e, err := slurm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// cancelJobs cancels the jobs whose names start with prefix.
func cancelJobs(t *testing.T, env []string, prefix string) {
	out, err := slurmRun(env, "squeue", "-h", "-o", "%i %j")
	if err != nil {
		t.Logf("cleanup: %v", err)
		return
	}
	for l := range strings.SplitSeq(out, "\n") {
		if f := strings.Fields(l); len(f) == 2 && strings.HasPrefix(f[1], prefix) {
			if _, err := slurmRun(env, "scancel", f[0]); err != nil {
				t.Logf("cleanup: %v", err)
			}
		}
	}
}

func slurmRun(env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// lines counts the non-empty lines of a job directory's file.
func lines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func checkResult(t *testing.T, r nas.Result, a nas.Arch) {
	t.Helper()
	if r.Failed || !r.Arch.Equal(a) || r.ValidAcc != float64(a.Width+a.Depth()+30) || r.TrainAcc != float64(a.Width+a.Depth()+40) || r.Backend != "fake" {
		t.Errorf("result for %s: %+v; want the fake trainer's (valid %d)", a.Key(), r, a.Width+a.Depth()+30)
	}
}

// waitRunning waits until e shows key's job RUNNING and returns it.
func waitRunning(t *testing.T, e *slurm.Evaluator, key string) slurm.Job {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, j := range e.Jobs() {
			if (key == "" || j.Key == key) && j.State == "RUNNING" && j.ID != "" && strings.HasPrefix(j.Progress, "training ") {
				return j
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job of %s not seen running (with its progress line) within 20s; jobs: %+v", key, e.Jobs())
	return slurm.Job{}
}

func TestClusterParallel(t *testing.T) {
	f := newFake(t, cluster(t))
	f.set(t, "sleep", "2")
	e := newEval(t, f.config(0))
	archs := []nas.Arch{nas.Uniform(16, 3, 0, 3), nas.Uniform(20, 4, 1, 5), nas.Uniform(24, 3, 0, 7), nas.Uniform(28, 5, 1, 3)}
	results := make([]nas.Result, len(archs))
	errs := make([]error, len(archs))
	var wg sync.WaitGroup
	for i, a := range archs {
		wg.Go(func() { results[i], errs[i] = e.Evaluate(context.Background(), a) })
	}
	waitRunning(t, e, "")
	wg.Wait()
	for i, a := range archs {
		if errs[i] != nil {
			t.Fatalf("%s: %v", a.Key(), errs[i])
		}
		checkResult(t, results[i], a)
		if n := len(lines(t, filepath.Join(e.JobDir(a), "attempts"))); n != 1 {
			t.Errorf("%s: %d attempts, want 1", a.Key(), n)
		}
	}
	if jobs := e.Jobs(); len(jobs) != 0 {
		t.Errorf("Jobs() after all returned: %+v", jobs)
	}
	// The jobs ran at the same time: some start came before another's end.
	starts, ends := f.events(t, "start", ""), f.events(t, "end", "")
	if len(starts) != len(archs) || len(ends) != len(archs) {
		t.Fatalf("%d starts and %d ends, want %d each", len(starts), len(ends), len(archs))
	}
	span := map[string][2]float64{}
	for _, ev := range append(starts, ends...) {
		var at float64
		if _, err := fmt.Sscan(ev[4], &at); err != nil {
			t.Fatalf("event %v: %v", ev, err)
		}
		s := span[ev[1]]
		if ev[0] == "start" {
			s[0] = at
		} else {
			s[1] = at
		}
		span[ev[1]] = s
	}
	maxRunning := 0
	for _, s := range span {
		running := 0
		for _, o := range span {
			if o[0] <= s[0] && o[1] > s[0] {
				running++
			}
		}
		maxRunning = max(maxRunning, running)
	}
	if maxRunning < 2 {
		t.Errorf("at most %d job ran at once, want >= 2 (events %v %v)", maxRunning, starts, ends)
	}
}
