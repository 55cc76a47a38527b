package slurm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// jobState is what the cluster says about one job.
type jobState struct {
	State    string // Slurm's state name, first word only ("CANCELLED by 0" -> "CANCELLED")
	ExitCode string // "code:signal", when known
	Ended    bool   // the state is final
	Detail   string // why, in words, when the evaluator decided the state
	Held     bool   // held after a failed launch: still queued, to be cancelled
}

// launchHeld is the reason squeue gives for a job that slurmd failed to
// start (fork failure, missing directory, node trouble): the controller
// requeues it held, and it waits for a release that never comes.
const launchHeld = "launch failed requeued held"

// heldAfterLaunch is the state of a job in state with squeue's reason:
// ended, as a failed attempt, when the job is held after a failed launch;
// ok is false otherwise.
func heldAfterLaunch(state, reason string) (st jobState, ok bool) {
	if !strings.Contains(strings.ToLower(reason), launchHeld) || (state != "PENDING" && state != "REQUEUE_HOLD" && state != "REQUEUED") {
		return jobState{}, false
	}
	return jobState{State: "LAUNCH_FAILED", Ended: true, Held: true,
		Detail: "Slurm could not start the job on its node and holds it (" + strings.TrimSpace(reason) + ")"}, true
}

// active reports whether a job in state may still produce a result.
func active(state string) bool {
	switch state {
	case "PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_FED",
		"REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD", "SPECIAL_EXIT", "STOPPED":
		return true
	}
	return false
}

func newState(state, exit string) jobState {
	state = strings.TrimSpace(state)
	if i := strings.IndexByte(state, ' '); i >= 0 {
		state = state[:i]
	}
	state = strings.TrimSuffix(state, "+")
	return jobState{State: state, ExitCode: strings.TrimSpace(exit), Ended: !active(state)}
}

// slurmCmd runs the Slurm command line tools.
type slurmCmd struct {
	bin string
	env []string
}

func (s slurmCmd) run(ctx context.Context, name string, args ...string) (string, error) {
	path := name
	if s.bin != "" {
		path = filepath.Join(s.bin, name)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	if len(s.env) > 0 {
		cmd.Env = append(os.Environ(), s.env...)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = strings.TrimSpace(out.String())
		}
		return out.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, msg)
	}
	return out.String(), nil
}

// sbatch submits script and returns the job id.
func (s slurmCmd) sbatch(ctx context.Context, flags []string, script string) (string, error) {
	out, err := s.run(ctx, "sbatch", append(append([]string{"--parsable"}, flags...), script)...)
	if err != nil {
		return "", err
	}
	// --parsable prints "id" or "id;cluster".
	id, _, _ := strings.Cut(strings.TrimSpace(lastNonEmpty(out)), ";")
	if !validID(id) {
		return "", fmt.Errorf("sbatch: cannot read a job id from its output %q", out)
	}
	return id, nil
}

func lastNonEmpty(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// squeue returns the states of those of ids that the controller still
// knows (pending, running and recently ended jobs), keeping only jobs whose
// name matches names[id]. Ids the controller does not know are absent.
func (s slurmCmd) squeue(ctx context.Context, ids []string, names map[string]string) (map[string]jobState, error) {
	out, err := s.run(ctx, "squeue", "-h", "-t", "all", "-o", "%i|%T|%r|%j", "-j", strings.Join(ids, ","))
	if err != nil {
		if strings.Contains(err.Error(), "Invalid job id") {
			// Every id is unknown to the controller (squeue fails instead of printing nothing).
			return map[string]jobState{}, nil
		}
		return nil, err
	}
	st := map[string]jobState{}
	for l := range strings.SplitSeq(out, "\n") {
		f := strings.SplitN(strings.TrimSpace(l), "|", 4)
		if len(f) != 4 || names[f[0]] != f[3] {
			continue
		}
		js := newState(f[1], "")
		if h, ok := heldAfterLaunch(js.State, f[2]); ok {
			js = h
		}
		st[f[0]] = js
	}
	return st, nil
}

// sacct reads the ended jobs among ids from the job completion log (or
// from accounting when accounting is set). Jobs not found are absent.
func (s slurmCmd) sacct(ctx context.Context, accounting bool, ids []string, names map[string]string) (map[string]jobState, error) {
	args := []string{"-P", "-n", "-X", "-o", "jobid,jobname,state,exitcode", "-j", strings.Join(ids, ",")}
	if !accounting {
		args = append([]string{"-c"}, args...)
	}
	out, err := s.run(ctx, "sacct", args...)
	if err != nil {
		return nil, err
	}
	st := map[string]jobState{}
	for l := range strings.SplitSeq(out, "\n") {
		f := strings.Split(strings.TrimSpace(l), "|")
		if len(f) != 4 || names[f[0]] != f[1] {
			continue
		}
		js := newState(f[2], f[3])
		if !js.Ended {
			continue // accounting may list a job that squeue has not shown yet
		}
		st[f[0]] = js // the last record of an id wins (a requeued job has several)
	}
	return st, nil
}

// pendingByName returns the ids of the active jobs called name.
func (s slurmCmd) activeByName(ctx context.Context, name string) ([]string, error) {
	out, err := s.run(ctx, "squeue", "-h", "-o", "%i|%j", "-n", name)
	if err != nil {
		return nil, err
	}
	var ids []string
	for l := range strings.SplitSeq(out, "\n") {
		f := strings.SplitN(strings.TrimSpace(l), "|", 2)
		if len(f) == 2 && f[1] == name && validID(f[0]) {
			ids = append(ids, f[0])
		}
	}
	return ids, nil
}

func (s slurmCmd) scancel(ctx context.Context, id string) error {
	_, err := s.run(ctx, "scancel", id)
	return err
}
