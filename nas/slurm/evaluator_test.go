package slurm_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/slurm"
)

// The tests in this file need no cluster: they put stand-ins for sbatch,
// squeue, sacct and scancel in Config.Bin, steered by files in the same
// directory:
//
//	queue        lines "id|STATE|name" or "id|STATE|name|reason" that squeue reports
//	hold         when present, the next sbatch call is consumed: its job goes
//	             into queue held after a failed launch, and it does not run
//	done         lines "id|name|STATE|exit" that sacct reports
//	run          when present, sbatch runs the script at once and records it in done
//	sbatch-fail  when present, sbatch prints it on stderr and fails
//	sacct-fail   when present, sacct fails
//	sbatch.log   one line per sbatch call
//	scancel.log  one line per scancel call

var fakeBins = map[string]string{
	"sbatch": `#!/bin/bash
d=$FAKE_SLURM
echo "$*" >>"$d/sbatch.log"
if [ -f "$d/sbatch-fail" ]; then cat "$d/sbatch-fail" >&2; exit 1; fi
n=$(( $(cat "$d/next" 2>/dev/null || echo 100) + 1 )); echo $n >"$d/next"
for a in "$@"; do
	case $a in --job-name=*) name=${a#--job-name=};; --output=*) out=${a#--output=};; esac
	script=$a
done
if [ -f "$d/hold" ]; then
	rm "$d/hold"
	echo "$n|PENDING|$name|launch failed requeued held" >>"$d/queue"
	echo "$n"
	exit 0
fi
if [ -f "$d/run" ]; then
	SLURM_JOB_ID=$n bash "$script" >"${out//%j/$n}" 2>&1
	rc=$?
	state=COMPLETED; [ $rc -ne 0 ] && state=FAILED
	echo "$n|$name|$state|$rc:0" >>"$d/done"
fi
echo "$n"
`,
	"squeue": `#!/bin/bash
d=$FAKE_SLURM
name= ids=
while [ $# -gt 0 ]; do case $1 in -n) name=$2; shift;; -j) ids=,$2,; shift;; esac; shift; done
[ -f "$d/queue" ] || exit 0
while IFS='|' read -r id st nm reason; do
	if [ -n "$name" ]; then
		if [ "$nm" = "$name" ] && { [ "$st" = RUNNING ] || [ "$st" = PENDING ]; }; then echo "$id|$nm"; fi
	else
		case $ids in *,$id,*) echo "$id|$st|$reason|$nm";; esac
	fi
done <"$d/queue"
`,
	"sacct": `#!/bin/bash
d=$FAKE_SLURM
if [ -f "$d/sacct-fail" ]; then echo "sacct: error: Slurm accounting storage is disabled" >&2; exit 1; fi
ids=
while [ $# -gt 0 ]; do case $1 in -j) ids=,$2,; shift;; esac; shift; done
[ -f "$d/done" ] || exit 0
while IFS='|' read -r id rest; do
	case $ids in *,$id,*) echo "$id|$rest";; esac
done <"$d/done"
`,
	"scancel": `#!/bin/bash
echo "$*" >>"$FAKE_SLURM/scancel.log"
`,
}

// fakeSlurm writes the stand-ins and returns a config that uses them; the
// job's command prints what the file "print" in the bin directory holds.
func fakeSlurm(t *testing.T) (slurm.Config, string) {
	t.Helper()
	d := t.TempDir()
	bin := filepath.Join(d, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range fakeBins {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r := nas.DefaultRecipe()
	r.Epochs = 1
	return slurm.Config{
		WorkDir: filepath.Join(d, "work"),
		Command: "cat " + filepath.Join(bin, "print"),
		Recipe:  r, Dataset: "synthetic",
		Poll: 20 * time.Millisecond, LostAfter: 300 * time.Millisecond,
		Bin: bin, Env: []string{"FAKE_SLURM=" + bin},
	}, bin
}

// writeFile writes path whole at once, as the job script's mv puts
// result.json in place: the evaluator polls these files while a test
// writes them, and must never see one half written (an empty
// result.json read as EOF made TestConcurrentCallsShareOneJob fail now
// and then). A file that is there keeps its mode (the fake commands are
// executable).
func writeFile(t *testing.T, path, text string) {
	t.Helper()
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	tmp := path + ".writing"
	if err := os.WriteFile(tmp, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestLostJobRetriedThenFailed(t *testing.T) {
	for _, sacctFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("sacct_fails=%v", sacctFails), func(t *testing.T) {
			cfg, bin := fakeSlurm(t)
			cfg.Retries = 1
			if sacctFails {
				writeFile(t, filepath.Join(bin, "sacct-fail"), "")
			}
			e := newEval(t, cfg)
			a := nas.Uniform(16, 3, 0, 3)
			start := time.Now()
			r, err := e.Evaluate(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"2 of 2 attempts failed", "LOST", "in neither squeue nor sacct"}
			if sacctFails {
				want = append(want, "accounting storage is disabled")
			}
			for _, w := range want {
				if !r.Failed || !strings.Contains(r.Error, w) {
					t.Errorf("result %+v, want failed with %q", r, w)
				}
			}
			if d := time.Since(start); d < 2*cfg.LostAfter || d > 10*time.Second {
				t.Errorf("took %v, want a little over 2 x LostAfter (%v)", d, cfg.LostAfter)
			}
			if n := len(lines(t, filepath.Join(bin, "sbatch.log"))); n != 2 {
				t.Errorf("%d sbatch calls, want 2", n)
			}
		})
	}
}

// TestLaunchFailureHeldJobRetried: a job that Slurm could not start and
// holds (squeue: PENDING, "launch failed requeued held") is a failed
// attempt: it is cancelled and the next attempt is a new job; with no
// attempt left, the result says why.
func TestLaunchFailureHeldJobRetried(t *testing.T) {
	for _, retries := range []int{1, 0} {
		t.Run(fmt.Sprintf("retries=%d", retries), func(t *testing.T) {
			cfg, bin := fakeSlurm(t)
			cfg.Retries = retries
			writeFile(t, filepath.Join(bin, "hold"), "")
			writeFile(t, filepath.Join(bin, "run"), "")
			writeFile(t, filepath.Join(bin, "print"), `{"valid_acc": 77.5}`)
			e := newEval(t, cfg)
			a := nas.Uniform(16, 3, 0, 3)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r, err := e.Evaluate(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			if got := lines(t, filepath.Join(bin, "scancel.log")); len(got) != 1 || got[0] != "101" {
				t.Errorf("scancel calls %q, want one for the held job 101", got)
			}
			if retries == 0 {
				for _, w := range []string{"1 of 1 attempts failed", "job 101 LAUNCH_FAILED", "launch failed requeued held", "cancelled"} {
					if !r.Failed || !strings.Contains(r.Error, w) {
						t.Errorf("result %+v, want failed with %q", r, w)
					}
				}
				return
			}
			if r.Failed || r.ValidAcc != 77.5 {
				t.Errorf("result %+v, want the second attempt's", r)
			}
			if n := len(lines(t, filepath.Join(bin, "sbatch.log"))); n != 2 {
				t.Errorf("%d sbatch calls, want 2", n)
			}
		})
	}
}

func TestSlurmCommandsDown(t *testing.T) {
	// squeue failing for longer than LostAfter is an error, not a lost job:
	// the job stays recorded, for a later call to watch again.
	cfg, bin := fakeSlurm(t)
	// (The submission's own squeue, by name, still works.)
	writeFile(t, filepath.Join(bin, "squeue"), "#!/bin/bash\ncase \" $* \" in *' -t '*) echo 'squeue: error: Unable to contact slurm controller' >&2; exit 1;; esac\n")
	e := newEval(t, cfg)
	a := nas.Uniform(16, 3, 0, 3)
	start := time.Now()
	_, err := e.Evaluate(context.Background(), a)
	if err == nil || !strings.Contains(err.Error(), "Unable to contact slurm controller") || !strings.Contains(err.Error(), a.Key()) {
		t.Fatalf("err %v, want squeue's message with the key", err)
	}
	if d := time.Since(start); d < cfg.LostAfter {
		t.Errorf("gave up after %v, want after LostAfter (%v)", d, cfg.LostAfter)
	}
	if n := len(lines(t, filepath.Join(bin, "sbatch.log"))); n != 1 {
		t.Errorf("%d sbatch calls, want 1", n)
	}
	if _, err := os.Stat(filepath.Join(e.JobDir(a), "jobid")); err != nil {
		t.Errorf("jobid file: %v, want it kept", err)
	}
}

func TestResultFromJob(t *testing.T) {
	cfg, bin := fakeSlurm(t)
	writeFile(t, filepath.Join(bin, "run"), "")
	writeFile(t, filepath.Join(bin, "print"), `{"train_acc": 91.5, "valid_acc": 90.25, "params": 1234}`)
	e := newEval(t, cfg)
	a := nas.Uniform(24, 4, 1, 5)
	r, err := e.Evaluate(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	// A result without its arch gets the candidate's.
	if r.Failed || r.ValidAcc != 90.25 || r.TrainAcc != 91.5 || r.Params != 1234 || !r.Arch.Equal(a) {
		t.Errorf("result %+v", r)
	}
	sb := lines(t, filepath.Join(bin, "sbatch.log"))
	if len(sb) != 1 {
		t.Fatalf("sbatch calls %q, want 1", sb)
	}
	if got, ok, err := newEval(t, cfg).Lookup(a); !ok || err != nil || got.ValidAcc != 90.25 || !got.Arch.Equal(a) {
		t.Errorf("Lookup after the job: %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := e.Lookup(nas.Uniform(24, 5, 0, 3)); ok || err != nil {
		t.Errorf("Lookup of a candidate never trained: ok %v, err %v", ok, err)
	}
	dir := e.JobDir(a)
	for _, want := range []string{"--parsable", "--job-name=trgnas-" + filepath.Base(dir), "--output=" + filepath.Join(dir, "job-%j.log"), "--chdir=" + dir, filepath.Join(dir, "job.sh")} {
		if !strings.Contains(sb[0], want) {
			t.Errorf("sbatch %q lacks %q", sb[0], want)
		}
	}
	if !strings.HasPrefix(filepath.Base(dir), a.Key()+"-") {
		t.Errorf("job dir %s not named by the key %s", dir, a.Key())
	}
	// A diverged candidate, reported by the trainer, is a result: no retry.
	writeFile(t, filepath.Join(bin, "print"), `{"failed": true, "error": "NaN loss at epoch 3"}`)
	b := nas.Uniform(24, 5, 1, 5)
	r, err = newEval(t, cfg).Evaluate(context.Background(), b)
	if err != nil || !r.Failed || r.Error != "NaN loss at epoch 3" {
		t.Errorf("diverged candidate: %+v, %v", r, err)
	}
	if n := len(lines(t, filepath.Join(bin, "sbatch.log"))); n != 2 {
		t.Errorf("%d sbatch calls, want 2", n)
	}
}

func TestBadResults(t *testing.T) {
	for _, tc := range []struct {
		name, print, want string
	}{
		{"not JSON", "epoch 1 acc 50\n", "offset"},
		{"two values", `{"valid_acc": 1} {"valid_acc": 2}`, "more than one JSON value"},
		{"wrong type", `{"valid_acc": "high"}`, "field valid_acc"},
		{"other arch", `{"arch": {"width": 8, "ops": [0], "kernels": [3]}, "valid_acc": 1}`, "result is for w8-o0-k3"},
		{"empty", "", "printed no result"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, bin := fakeSlurm(t)
			writeFile(t, filepath.Join(bin, "run"), "")
			writeFile(t, filepath.Join(bin, "print"), tc.print)
			e := newEval(t, cfg)
			a := nas.Uniform(16, 3, 0, 3)
			r, err := e.Evaluate(context.Background(), a)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Failed || !strings.Contains(r.Error, tc.want) {
				t.Errorf("result %+v, want failed with %q", r, tc.want)
			}
			if tc.print != "" && !strings.Contains(r.Error, "result.json") {
				t.Errorf("error %q does not name the file", r.Error)
			}
		})
	}
}

func TestSbatchErrorIsReturned(t *testing.T) {
	cfg, bin := fakeSlurm(t)
	writeFile(t, filepath.Join(bin, "sbatch-fail"), "sbatch: error: invalid partition specified: gpu")
	cfg.Partition = "gpu"
	cfg.GPUs = 2
	cfg.Time = 90 * time.Minute
	cfg.Flags = []string{"--account=nas"}
	_, err := newEval(t, cfg).Evaluate(context.Background(), nas.Uniform(16, 3, 0, 3))
	if err == nil || !strings.Contains(err.Error(), "invalid partition specified") {
		t.Fatalf("err %v, want sbatch's message", err)
	}
	sb := lines(t, filepath.Join(bin, "sbatch.log"))
	if len(sb) != 1 || !strings.Contains(sb[0], "--partition=gpu --gres=gpu:2 --time=0-01:30:00 --account=nas") {
		t.Errorf("sbatch calls %q, want the resource flags", sb)
	}
}

func TestOrphanJobAdopted(t *testing.T) {
	// A process died between sbatch and writing the job id down: the job,
	// found in the queue by its name, is adopted instead of submitted again.
	cfg, bin := fakeSlurm(t)
	e := newEval(t, cfg)
	a := nas.Uniform(20, 3, 0, 3)
	dir := e.JobDir(a)
	name := "trgnas-" + filepath.Base(dir)
	writeFile(t, filepath.Join(bin, "queue"), "41|RUNNING|"+name+"\n")
	ch := make(chan nas.Result, 1)
	go func() {
		r, err := e.Evaluate(context.Background(), a)
		if err != nil {
			t.Error(err)
		}
		ch <- r
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if j := e.Jobs(); len(j) == 1 && j[0].ID == "41" && j[0].State == "RUNNING" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job 41 not adopted: %+v", e.Jobs())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The progress line is the log's last, after the last carriage return of a progress bar.
	writeFile(t, filepath.Join(dir, "job-41.log"), "training w20\nepoch 1/5 [#...] 10 img/s\repoch 1/5 [##..] 11 img/s\n\nepoch 2/5 [#...] 9 img/s\repoch 2/5 [##..] 12 img/s")
	if j := e.Jobs(); len(j) != 1 || j[0].Progress != "epoch 2/5 [##..] 12 img/s" || j[0].Attempts != 1 || j[0].Key != a.Key() || j[0].Submitted.IsZero() {
		t.Errorf("Jobs() = %+v, want job 41, attempt 1, progress \"epoch 2/5 [##..] 12 img/s\"", j)
	}
	writeFile(t, filepath.Join(dir, "result.json"), `{"valid_acc": 77}`)
	writeFile(t, filepath.Join(bin, "queue"), "41|COMPLETED|"+name+"\n")
	if r := <-ch; r.ValidAcc != 77 || !r.Arch.Equal(a) {
		t.Errorf("result %+v", r)
	}
	if n := len(lines(t, filepath.Join(bin, "sbatch.log"))); n != 0 {
		t.Errorf("%d sbatch calls, want 0", n)
	}
	if at := lines(t, filepath.Join(dir, "attempts")); len(at) != 1 || !strings.HasPrefix(at[0], "1 41 ") {
		t.Errorf("attempts %q, want job 41 as attempt 1", at)
	}
}

func TestConcurrentCallsShareOneJob(t *testing.T) {
	cfg, bin := fakeSlurm(t)
	e := newEval(t, cfg)
	a := nas.Uniform(20, 3, 0, 3)
	dir := e.JobDir(a)
	writeFile(t, filepath.Join(bin, "queue"), "101|RUNNING|trgnas-"+filepath.Base(dir)+"\n")
	const n = 5
	ch := make(chan nas.Result, n)
	ctx, cancel := context.WithCancel(context.Background())
	// One of the callers gives up: the job goes on for the others.
	go func() {
		_, err := e.Evaluate(ctx, a)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled caller: %v", err)
		}
	}()
	for range n {
		go func() {
			r, err := e.Evaluate(context.Background(), a)
			if err != nil {
				t.Error(err)
			}
			ch <- r
		}()
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	time.Sleep(100 * time.Millisecond)
	writeFile(t, filepath.Join(dir, "result.json"), `{"valid_acc": 55}`)
	for range n {
		if r := <-ch; r.ValidAcc != 55 {
			t.Errorf("result %+v", r)
		}
	}
	if n := len(lines(t, filepath.Join(bin, "sbatch.log"))); n != 0 {
		t.Errorf("%d sbatch calls, want 0: the queued job is adopted once", n)
	}
	if n := len(lines(t, filepath.Join(bin, "scancel.log"))); n != 0 {
		t.Errorf("%d scancel calls, want 0 while others wait", n)
	}
}

func TestCancelPendingCallScancels(t *testing.T) {
	cfg, bin := fakeSlurm(t)
	e := newEval(t, cfg)
	a := nas.Uniform(20, 3, 0, 3)
	writeFile(t, filepath.Join(bin, "queue"), "101|PENDING|trgnas-"+filepath.Base(e.JobDir(a))+"\n")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := e.Evaluate(ctx, a); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want deadline exceeded", err)
	}
	if sc := lines(t, filepath.Join(bin, "scancel.log")); len(sc) != 1 || sc[0] != "101" {
		t.Errorf("scancel calls %q, want one of job 101", sc)
	}
	if oc := lines(t, filepath.Join(e.JobDir(a), "outcomes")); len(oc) != 1 || !strings.HasPrefix(oc[0], "101 ABORTED ") {
		t.Errorf("outcomes %q", oc)
	}
}

// DefaultCommand passes the job directory's spec.json, which holds the
// network, the whole recipe (momentum, weight decay and clipping included)
// and the data.
func TestDefaultCommand(t *testing.T) {
	cfg, bin := fakeSlurm(t)
	writeFile(t, filepath.Join(bin, "run"), "")
	// A stand-in trgnas that returns its arguments in the result's error field.
	if err := os.WriteFile(filepath.Join(bin, "trgnas"), []byte("#!/bin/bash\necho \"{\\\"error\\\": \\\"$*\\\"}\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg.Command = ""
	cfg.Setup = "export PATH=" + bin + ":$PATH"
	cfg.Recipe = nas.DefaultRecipe()
	cfg.Recipe.Epochs, cfg.Recipe.Seed, cfg.Recipe.TrainLimit, cfg.Recipe.Momentum = 50, 3, 5000, 0.8
	cfg.Data = &data.Spec{Dataset: "cifar10", Dir: "/shared/c10", ValidFrac: 0.1, Seed: 3}
	e := newEval(t, cfg)
	a := nas.Arch{Width: 16, Ops: []int{0, 1, 0}, Kernels: []int{3, 5, 7}}
	r, err := e.Evaluate(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(e.JobDir(a), "spec.json")
	if want := "train --spec " + specPath + " --json"; r.Error != want {
		t.Errorf("trgnas called with\n%s\nwant\n%s", r.Error, want)
	}
	js, err := slurm.ReadJobSpec(specPath)
	if err != nil {
		t.Fatal(err)
	}
	if !js.Arch.Equal(a) || js.Recipe != cfg.Recipe || js.Dataset != cfg.Dataset || js.Data == nil || !reflect.DeepEqual(*js.Data, *cfg.Data) {
		t.Errorf("spec.json %+v", js)
	}
}

// A job spec that lacks a field or holds a bad one is refused, naming the
// file and the field.
func TestReadJobSpecErrors(t *testing.T) {
	dir := t.TempDir()
	a := nas.Uniform(8, 2, 0, 3)
	good := slurm.JobSpec{Key: a.Key(), Arch: a, Recipe: nas.DefaultRecipe(), Dataset: "synthetic x", Data: &data.Spec{Dataset: "synthetic", ValidFrac: 0.1}}
	for _, tc := range []struct {
		name string
		edit func(js *slurm.JobSpec)
		want string
	}{
		{"good", func(js *slurm.JobSpec) {}, ""},
		{"no data", func(js *slurm.JobSpec) { js.Data = nil }, "no data"},
		{"bad data", func(js *slurm.JobSpec) { js.Data = &data.Spec{Dataset: "imagenet", ValidFrac: 0.1} }, "data:"},
		{"other key", func(js *slurm.JobSpec) { js.Key = "w8-o0-k3" }, "key"},
		{"bad recipe", func(js *slurm.JobSpec) { js.Recipe.Epochs = 0 }, "recipe:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := good
			d := *good.Data
			js.Data = &d
			tc.edit(&js)
			b, _ := json.Marshal(js)
			path := filepath.Join(dir, tc.name+".json")
			writeFile(t, path, string(b))
			_, err := slurm.ReadJobSpec(path)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want %s and %q", err, path, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	ok := func() slurm.Config {
		return slurm.Config{WorkDir: "/w", Recipe: nas.DefaultRecipe(), Data: &data.Spec{Dataset: "synthetic", ValidFrac: 0.1}}
	}
	for _, tc := range []struct {
		name string
		edit func(c *slurm.Config)
		want string // "" = valid
	}{
		{"defaults", func(c *slurm.Config) {}, ""},
		{"no work dir", func(c *slurm.Config) { c.WorkDir = "" }, "WorkDir"},
		{"bad recipe", func(c *slurm.Config) { c.Recipe.Epochs = 0 }, "Recipe"},
		{"negative gpus", func(c *slurm.Config) { c.GPUs = -1 }, "GPUs -1"},
		{"negative retries", func(c *slurm.Config) { c.Retries = -2 }, "Retries -2"},
		{"name with blank", func(c *slurm.Config) { c.Name = "my jobs" }, "Name"},
		{"flag without dash", func(c *slurm.Config) { c.Flags = []string{"--qos=x", "account=y"} }, "Flags[1]"},
		{"env without =", func(c *slurm.Config) { c.Env = []string{"SLURM_CONF"} }, "Env[0]"},
		{"template syntax", func(c *slurm.Config) { c.Command = "train {{.Key" }, "Command"},
		{"template field", func(c *slurm.Config) { c.Command = "train {{.Nope}}" }, "Nope"},
		{"default command, other momentum", func(c *slurm.Config) { c.Recipe.Momentum = 0.8 }, ""},
		{"default command, no data", func(c *slurm.Config) { c.Data = nil }, "Data"},
		{"own command, no data", func(c *slurm.Config) { c.Data = nil; c.Command = "train {{.Recipe.Momentum}}" }, ""},
		{"bad data", func(c *slurm.Config) { c.Data = &data.Spec{Dataset: "synthetic", ValidFrac: 1} }, "Data"},
		{"template quote", func(c *slurm.Config) { c.Command = "train --arch {{q .ArchJSON}} --dir {{q .Dir}}" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if !errors.Is(err, slurm.ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want ErrConfig naming %q", err, tc.want)
			}
			if _, err := slurm.New(c); err == nil {
				t.Fatal("New accepted an invalid config")
			}
		})
	}
}

func TestJobDirDependsOnRecipeAndData(t *testing.T) {
	a := nas.Uniform(16, 3, 0, 3)
	base := slurm.Config{WorkDir: t.TempDir(), Recipe: nas.DefaultRecipe(), Dataset: "cifar10:abc", Data: &data.Spec{Dataset: "cifar10", Dir: "/shared/c10", ValidFrac: 0.1}}
	dirs := map[string]string{}
	for name, edit := range map[string]func(c *slurm.Config){
		"base":    func(c *slurm.Config) {},
		"seed":    func(c *slurm.Config) { c.Recipe.Seed = 1 },
		"epochs":  func(c *slurm.Config) { c.Recipe.Epochs = 10 },
		"dataset": func(c *slurm.Config) { c.Dataset = "cifar10:abd" },
	} {
		c := base
		edit(&c)
		d := newEval(t, c).JobDir(a)
		for other, od := range dirs {
			if od == d {
				t.Errorf("%s and %s share job dir %s", name, other, d)
			}
		}
		dirs[name] = d
	}
	// The same settings give the same directory (what makes restarts work).
	if d := newEval(t, base).JobDir(a); d != dirs["base"] {
		t.Errorf("JobDir not stable: %s, then %s", dirs["base"], d)
	}
}

func TestEvaluateRejectsInvalidArch(t *testing.T) {
	cfg, bin := fakeSlurm(t)
	_, err := newEval(t, cfg).Evaluate(context.Background(), nas.Arch{Width: 16, Ops: []int{0, 2}, Kernels: []int{3, 3}})
	if !errors.Is(err, nas.ErrInvalidArch) || !strings.Contains(err.Error(), "ops[1]") {
		t.Errorf("err %v, want ErrInvalidArch naming ops[1]", err)
	}
	if n := len(lines(t, filepath.Join(bin, "sbatch.log"))); n != 0 {
		t.Errorf("%d sbatch calls for an invalid arch", n)
	}
}

func ExampleEvaluator_JobDir() {
	r := nas.DefaultRecipe()
	r.Epochs, r.Seed = 50, 1
	e, err := slurm.New(slurm.Config{WorkDir: os.TempDir(), Recipe: r, Dataset: "cifar10", GPUs: 1,
		Data: &data.Spec{Dataset: "cifar10", Dir: "/shared/cifar10", ValidFrac: 0.1, Seed: 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filepath.Base(e.JobDir(nas.Uniform(72, 10, nas.OpSepConv, 3))))
	// Output:
	// w72-o0000000000-k3333333333-7f7e826f6e
}

func TestScan(t *testing.T) {
	cfg, bin := fakeSlurm(t)
	writeFile(t, filepath.Join(bin, "run"), "")
	writeFile(t, filepath.Join(bin, "print"), `{"valid_acc": 50}`)
	e := newEval(t, cfg)
	done := nas.Uniform(16, 3, 0, 3)
	if _, err := e.Evaluate(context.Background(), done); err != nil {
		t.Fatal(err)
	}
	// One failed for good (bad output, no retry).
	writeFile(t, filepath.Join(bin, "print"), "garbage")
	failed := nas.Uniform(20, 3, 0, 3)
	if r, err := e.Evaluate(context.Background(), failed); err != nil || !r.Failed {
		t.Fatalf("%+v, %v", r, err)
	}
	// One in flight, seen from this process while another watches it.
	os.Remove(filepath.Join(bin, "run"))
	running := nas.Uniform(24, 3, 0, 3)
	writeFile(t, filepath.Join(bin, "queue"), "")
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { e.Evaluate(ctx, running); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(e.JobDir(running), "jobid")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no job submitted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	writeFile(t, filepath.Join(e.JobDir(running), "job-"+strings.TrimSpace(readFile(t, filepath.Join(e.JobDir(running), "jobid")))+".log"), "epoch 3/9\n")
	// A stray directory and a broken one.
	os.MkdirAll(filepath.Join(cfg.WorkDir, "notes"), 0o755)
	broken := filepath.Join(cfg.WorkDir, "broken")
	os.MkdirAll(broken, 0o755)
	writeFile(t, filepath.Join(broken, "spec.json"), `{"key": "w8-o0-k3"}`)
	writeFile(t, filepath.Join(broken, "attempts"), "1 12 yesterday\n")

	jobs, err := slurm.Scan(cfg.WorkDir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(broken, "attempts")+":1") {
		t.Errorf("err %v, want the broken attempts file named with its line", err)
	}
	got := map[string]slurm.Job{}
	for _, j := range jobs {
		got[j.Key] = j
	}
	if len(jobs) != 4 {
		t.Errorf("%d jobs, want 4: %+v", len(jobs), jobs)
	}
	for key, want := range map[string]string{done.Key(): slurm.StateDone, failed.Key(): slurm.StateFailed, running.Key(): slurm.StateSubmitted, "w8-o0-k3": slurm.StateIdle} {
		if got[key].State != want {
			t.Errorf("%s: state %q, want %q", key, got[key].State, want)
		}
	}
	if j := got[running.Key()]; j.ID == "" || j.Attempts != 1 || j.Progress != "epoch 3/9" || j.Submitted.IsZero() {
		t.Errorf("running job %+v", j)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
