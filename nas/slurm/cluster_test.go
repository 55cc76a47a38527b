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

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/slurm"
	"github.com/trgnas/trgnas/nas/slurm/slurmtest"
)

// The tests in this file run real jobs on a single-node Slurm cluster that
// scripts/slurm-local.sh starts (or finds running). Without Slurm they are
// skipped, unless TRGNAS_SLURM_TESTS=1, which makes them fail instead.

// cluster returns the environment for the Slurm commands, or skips (fails
// under TRGNAS_SLURM_TESTS=1) when no cluster can be had.
func cluster(t *testing.T) []string {
	t.Helper()
	return []string{"SLURM_CONF=" + slurmtest.Conf(t)}
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

// TestClusterHelperSubmit is not a test of its own: TestClusterRestart runs
// the test binary with TRGNAS_SLURM_HELPER set to play a search process
// that submits jobs and is then killed.
func TestClusterHelperSubmit(t *testing.T) {
	spec := os.Getenv("TRGNAS_SLURM_HELPER")
	if spec == "" {
		t.Skip("helper process for TestClusterRestart")
	}
	// spec: work|ctl|script|prefix|SLURM_CONF=...|key,key,...
	p := strings.Split(spec, "|")
	f := &fake{work: p[0], ctl: p[1], script: p[2], prefix: p[3], env: []string{p[4]}}
	e := newEval(t, f.config(0))
	for k := range strings.SplitSeq(p[5], ",") {
		a, err := nas.ParseKey(k)
		if err != nil {
			t.Fatal(err)
		}
		go e.Evaluate(context.Background(), a)
	}
	time.Sleep(time.Minute) // killed long before
	t.Fatal("helper not killed")
}

func TestClusterRestart(t *testing.T) {
	f := newFake(t, cluster(t))
	done, b, c := nas.Uniform(16, 3, 0, 3), nas.Uniform(20, 3, 1, 3), nas.Uniform(24, 3, 0, 5)

	// A first evaluator trains one candidate to the end.
	e1 := newEval(t, f.config(0))
	r0, err := e1.Evaluate(context.Background(), done)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r0, done)

	// A search process submits two more and dies with their jobs in flight.
	f.set(t, "sleep", "3")
	helper := exec.Command(os.Args[0], "-test.run=^TestClusterHelperSubmit$", "-test.count=1")
	helper.Env = append(os.Environ(), "TRGNAS_SLURM_HELPER="+strings.Join([]string{f.work, f.ctl, f.script, f.prefix, f.env[0], b.Key() + "," + c.Key()}, "|"))
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, a := range []nas.Arch{b, c} {
		for {
			if _, err := os.Stat(filepath.Join(e1.JobDir(a), "jobid")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				helper.Process.Kill()
				t.Fatalf("helper did not submit %s within 20s", a.Key())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	helper.Process.Kill()
	helper.Wait()

	// A new evaluator on the same work dir finds all three and submits nothing.
	e2 := newEval(t, f.config(0))
	archs := []nas.Arch{done, b, c}
	results := make([]nas.Result, len(archs))
	errs := make([]error, len(archs))
	var wg sync.WaitGroup
	for i, a := range archs {
		wg.Go(func() { results[i], errs[i] = e2.Evaluate(context.Background(), a) })
	}
	wg.Wait()
	for i, a := range archs {
		if errs[i] != nil {
			t.Fatalf("%s: %v", a.Key(), errs[i])
		}
		checkResult(t, results[i], a)
		if n := len(lines(t, filepath.Join(e2.JobDir(a), "attempts"))); n != 1 {
			t.Errorf("%s: %d attempts, want 1 (resubmitted after the restart)", a.Key(), n)
		}
		if n := len(f.events(t, "start", a.Key())); n != 1 {
			t.Errorf("%s: trained %d times, want 1", a.Key(), n)
		}
	}
	if results[0].WallSeconds != r0.WallSeconds || !results[0].Arch.Equal(r0.Arch) {
		t.Errorf("finished candidate: %+v after restart, %+v before", results[0], r0)
	}

	// A third evaluator returns everything from the job directories at once.
	e3 := newEval(t, f.config(0))
	start := time.Now()
	for _, a := range archs {
		r, err := e3.Evaluate(context.Background(), a)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, r, a)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("finished candidates took %v to collect, want no waiting", d)
	}
	if n := len(f.events(t, "start", "")); n != 3 {
		t.Errorf("%d trainings in all, want 3", n)
	}
}

func TestClusterFailureRetried(t *testing.T) {
	f := newFake(t, cluster(t))
	a := nas.Uniform(12, 3, 0, 3)
	f.set(t, "fail-"+a.Key(), "")
	e := newEval(t, f.config(1))
	r, err := e.Evaluate(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Failed || !r.Arch.Equal(a) {
		t.Fatalf("result %+v, want Failed for %s", r, a.Key())
	}
	for _, want := range []string{"2 of 2 attempts failed", "FAILED", "exit 7:0", "epoch 1: loss is NaN"} {
		if !strings.Contains(r.Error, want) {
			t.Errorf("Error %q does not contain %q", r.Error, want)
		}
	}
	dir := e.JobDir(a)
	if n := len(lines(t, filepath.Join(dir, "attempts"))); n != 2 {
		t.Errorf("%d attempts, want 2 (one retry)", n)
	}
	if n := len(f.events(t, "start", a.Key())); n != 2 {
		t.Errorf("trained %d times, want 2", n)
	}
	// The failure is final: a new evaluator returns it without a job.
	r2, err := newEval(t, f.config(1)).Evaluate(context.Background(), a)
	if err != nil || !r2.Failed || r2.Error != r.Error {
		t.Errorf("after restart: %+v, %v; want the same failure", r2, err)
	}
	if n := len(lines(t, filepath.Join(dir, "attempts"))); n != 2 {
		t.Errorf("%d attempts after restart, want still 2", n)
	}
	if r3, ok, err := e.Lookup(a); !ok || err != nil || !r3.Failed || r3.Error != r.Error {
		t.Errorf("Lookup: %+v, %v, %v; want the failure", r3, ok, err)
	}
}

func TestClusterCancelledFromOutsideRetried(t *testing.T) {
	f := newFake(t, cluster(t))
	a := nas.Uniform(16, 4, 1, 7)
	f.set(t, "sleep-"+a.Key()+"-1", "60") // the first attempt would run a minute
	e := newEval(t, f.config(1))
	type out struct {
		r   nas.Result
		err error
	}
	ch := make(chan out, 1)
	go func() { r, err := e.Evaluate(context.Background(), a); ch <- out{r, err} }()
	j := waitRunning(t, e, a.Key())
	if j.Attempts != 1 {
		t.Errorf("running job %+v, want attempt 1", j)
	}
	if _, err := slurmRun(f.env, "scancel", j.ID); err != nil {
		t.Fatal(err)
	}
	var o out
	select {
	case o = <-ch:
	case <-time.After(30 * time.Second):
		t.Fatal("no result 30s after the scancel")
	}
	if o.err != nil {
		t.Fatal(o.err)
	}
	checkResult(t, o.r, a)
	dir := e.JobDir(a)
	if n := len(lines(t, filepath.Join(dir, "attempts"))); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	if oc := lines(t, filepath.Join(dir, "outcomes")); len(oc) != 1 || !strings.HasPrefix(oc[0], j.ID+" CANCELLED ") {
		t.Errorf("outcomes %q, want one CANCELLED line for job %s", oc, j.ID)
	}
}

func TestClusterContextCancelScancels(t *testing.T) {
	f := newFake(t, cluster(t))
	a := nas.Uniform(20, 5, 0, 5)
	f.set(t, "sleep-"+a.Key()+"-1", "60")
	e := newEval(t, f.config(0))
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { _, err := e.Evaluate(ctx, a); ch <- err }()
	j := waitRunning(t, e, a.Key())
	cancel()
	select {
	case err := <-ch:
		if err != context.Canceled {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Evaluate did not return 20s after its context was cancelled")
	}
	// The job is cancelled by the time Evaluate returns (the controller may
	// take a moment to show it).
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := slurmRun(f.env, "squeue", "-h", "-t", "all", "-o", "%T", "-j", j.ID)
		if strings.HasPrefix(strings.TrimSpace(out), "CANCELLED") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: state %q 10s after Evaluate returned, want CANCELLED", j.ID, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	dir := e.JobDir(a)
	if _, err := os.Stat(filepath.Join(dir, "jobid")); !os.IsNotExist(err) {
		t.Errorf("jobid file still there after the cancel (%v)", err)
	}
	// The aborted attempt is no failure: with no retries allowed, the next call trains it.
	r, err := e.Evaluate(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, r, a)
	if n := len(lines(t, filepath.Join(dir, "attempts"))); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

// TestClusterRealTrainer trains two tiny candidates with the real
// "trgnas train --spec" through DefaultCommand, on the synthetic dataset,
// with the trgnas binary TRGNAS_SLURM_TRAINER names or one built here.
func TestClusterRealTrainer(t *testing.T) {
	cl := cluster(t)
	bin := os.Getenv("TRGNAS_SLURM_TRAINER")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "trgnas")
		if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/trgnas").CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	bin, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	f := newFake(t, cl)
	cfg := f.config(0)
	cfg.Command = ""
	cfg.Setup = "export PATH=" + filepath.Dir(bin) + ":$PATH GOMLX_BACKEND=go"
	cfg.Recipe.Epochs, cfg.Recipe.Seed = 2, 7
	cfg.Data = &data.Spec{Dataset: "synthetic", ValidFrac: 0.1, Seed: 7,
		Synthetic: &data.SyntheticConfig{N: 600, H: 8, W: 8, C: 1, Classes: 4, Noise: 0.2}}
	if _, _, cfg.Dataset, err = cfg.Data.Split(); err != nil {
		t.Fatal(err)
	}
	e := newEval(t, cfg)
	archs := []nas.Arch{{Width: 4, Ops: []int{0, 1}, Kernels: []int{3, 5}}, {Width: 8, Ops: []int{1, 0, 1}, Kernels: []int{7, 3, 3}}}
	results := make([]nas.Result, len(archs))
	errs := make([]error, len(archs))
	var wg sync.WaitGroup
	for i, a := range archs {
		wg.Go(func() { results[i], errs[i] = e.Evaluate(context.Background(), a) })
	}
	wg.Wait()
	for i, a := range archs {
		r := results[i]
		if errs[i] != nil {
			t.Fatalf("%s: %v", a.Key(), errs[i])
		}
		if r.Failed || !r.Arch.Equal(a) || len(r.Curve) != 2 || r.Params != a.Params(1, 4) || r.ValidAcc <= 0 {
			t.Errorf("%s: result %+v", a.Key(), r)
		}
		t.Logf("%s: valid %.2f%% train %.2f%%, %d params, %.1f s, backend %s; log: %s", a.Key(), r.ValidAcc, r.TrainAcc, r.Params, r.WallSeconds, r.Backend,
			lastLineOf(t, e.JobDir(a)))
	}
}

func lastLineOf(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "job-*.log"))
	if len(m) == 0 {
		return ""
	}
	l := lines(t, m[len(m)-1])
	if len(l) == 0 {
		return ""
	}
	return l[len(l)-1]
}
