package slurm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/trgnas/trgnas/nas"
)

// Evaluator trains each candidate as one Slurm job; it implements
// nas.Evaluator and is safe for any number of concurrent Evaluate calls.
// See the package documentation for the files it keeps.
type Evaluator struct {
	cfg  Config
	tmpl *template.Template
	cmd  slurmCmd

	mu      sync.Mutex
	flights map[string]*flight // by job directory

	pollMu    sync.Mutex          // one queue query at a time
	lastPoll  time.Time           // when states was filled
	states    map[string]jobState // by job id, from the last query
	queried   map[string]bool     // ids asked in the last query
	failSince time.Time           // first of the Slurm command failures in a row
	sacctErr  error               // the last sacct failure, nil after a success
}

// Job is one candidate in flight, as Jobs reports it.
type Job struct {
	Key       string    // the candidate's Arch.Key()
	Dir       string    // its job directory
	ID        string    // Slurm job id of the current attempt; "" before submission
	State     string    // Slurm state (PENDING, RUNNING, ...), or SUBMITTING, UNKNOWN
	Submitted time.Time // submission of the current attempt
	Attempts  int       // submissions so far, restarts of the evaluator included
	Progress  string    // last non-empty line of the current attempt's log
}

// flight is the one job-watching goroutine of a candidate, shared by all
// the Evaluate calls waiting for it.
type flight struct {
	key, dir, name string
	done           chan struct{}
	res            nas.Result
	err            error
	cancel         context.CancelFunc

	// Guarded by Evaluator.mu.
	waiters   int
	cancelled bool
	id, state string
	submitted time.Time
	attempts  int
}

// New returns an evaluator for cfg; it creates cfg.WorkDir if needed.
func New(cfg Config) (*Evaluator, error) {
	t, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if cfg.WorkDir, err = filepath.Abs(cfg.WorkDir); err != nil {
		return nil, fmt.Errorf("%w: WorkDir: %v", ErrConfig, err)
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return nil, fmt.Errorf("slurm: work dir: %w", err)
	}
	return &Evaluator{
		cfg: cfg, tmpl: t, cmd: slurmCmd{bin: cfg.Bin, env: cfg.Env},
		flights: map[string]*flight{}, states: map[string]jobState{}, queried: map[string]bool{},
	}, nil
}

// JobDir is the directory where candidate a is trained and its result kept.
func (e *Evaluator) JobDir(a nas.Arch) string {
	return filepath.Join(e.cfg.WorkDir, dirName(a, e.cfg.Recipe, e.cfg.Dataset, e.cfg.DataArgs))
}

// Lookup returns the result recorded for a in its job directory (trained,
// or failed after its retries) without submitting or waiting; ok is false
// when there is none yet. A search can use it to see whether a candidate
// it started speculatively is done.
func (e *Evaluator) Lookup(a nas.Arch) (r nas.Result, ok bool, err error) {
	if err := a.Validate(); err != nil {
		return nas.Result{}, false, err
	}
	dir := e.JobDir(a)
	if r, ok, err := readResult(filepath.Join(dir, resultFile)); ok {
		if err == nil {
			if err = fixArch(&r, a); err != nil {
				err = fmt.Errorf("%s: %w", filepath.Join(dir, resultFile), err)
			}
		}
		return r, err == nil, err
	}
	return readResult(filepath.Join(dir, failedFile))
}

// Evaluate returns a's result, training it as a Slurm job unless its job
// directory already holds a result, or a job already submitted for it is
// still known to the cluster (then that job is watched, not submitted
// again). A job that fails, is cancelled from outside, times out or gets
// lost is submitted again up to Config.Retries times; after that the
// candidate is returned as a nas.Result with Failed set and Error saying
// why, and a nil error. A result the training command marked Failed (a
// diverged candidate) is returned as it is, without retry.
//
// When ctx ends, Evaluate cancels the candidate's job with scancel (unless
// another Evaluate call for the same candidate is still waiting for it),
// waits for that, and returns ctx.Err(); the cancelled attempt does not
// count as a failure. An error is also returned when sbatch fails, when
// the job directory cannot be written, or when the Slurm commands keep
// failing for Config.LostAfter; the job, if any, is then left running and
// a later Evaluate call picks it up again.
func (e *Evaluator) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	if err := a.Validate(); err != nil {
		return nas.Result{}, err
	}
	dir := e.JobDir(a)
	for {
		if err := ctx.Err(); err != nil {
			return nas.Result{}, err
		}
		e.mu.Lock()
		f := e.flights[dir]
		if f == nil {
			fctx, cancel := context.WithCancel(context.Background())
			f = &flight{key: a.Key(), dir: dir, name: e.cfg.Name + filepath.Base(dir), done: make(chan struct{}), cancel: cancel, state: "SUBMITTING"}
			e.flights[dir] = f
			go e.fly(fctx, f, a.Clone())
		}
		if f.cancelled {
			// Its last waiter gave up and it is cancelling: wait, then start afresh.
			e.mu.Unlock()
			select {
			case <-f.done:
				continue
			case <-ctx.Done():
				return nas.Result{}, ctx.Err()
			}
		}
		f.waiters++
		e.mu.Unlock()
		select {
		case <-f.done:
			return f.res, f.err
		case <-ctx.Done():
			e.mu.Lock()
			f.waiters--
			last := f.waiters == 0
			if last {
				f.cancelled = true
			}
			e.mu.Unlock()
			if last {
				f.cancel()
				<-f.done
			}
			return nas.Result{}, ctx.Err()
		}
	}
}

// Jobs returns the candidates in flight, oldest submission first.
func (e *Evaluator) Jobs() []Job {
	e.mu.Lock()
	jobs := make([]Job, 0, len(e.flights))
	for _, f := range e.flights {
		jobs = append(jobs, Job{Key: f.key, Dir: f.dir, ID: f.id, State: f.state, Submitted: f.submitted, Attempts: f.attempts})
	}
	e.mu.Unlock()
	for i := range jobs {
		if jobs[i].ID != "" {
			jobs[i].Progress = lastLine(filepath.Join(jobs[i].Dir, "job-"+jobs[i].ID+".log"))
		}
	}
	slices.SortFunc(jobs, func(x, y Job) int {
		if c := x.Submitted.Compare(y.Submitted); c != 0 {
			return c
		}
		return strings.Compare(x.Key, y.Key)
	})
	return jobs
}

func (e *Evaluator) fly(ctx context.Context, f *flight, a nas.Arch) {
	res, err := e.evaluate(ctx, f, a)
	if err != nil {
		res = nas.Result{}
		if !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("slurm: %s: %w", f.key, err)
		}
	}
	e.mu.Lock()
	f.res, f.err = res, err
	delete(e.flights, f.dir)
	e.mu.Unlock()
	f.cancel()
	close(f.done)
}

func (e *Evaluator) setFlight(f *flight, fn func(f *flight)) {
	e.mu.Lock()
	fn(f)
	e.mu.Unlock()
}

// evaluate runs attempts until a result, a final failure or an error.
func (e *Evaluator) evaluate(ctx context.Context, f *flight, a nas.Arch) (nas.Result, error) {
	if err := e.prepare(f.dir, a); err != nil {
		return nas.Result{}, err
	}
	for {
		if r, ok, err := readResult(filepath.Join(f.dir, resultFile)); ok {
			if err == nil {
				if err = fixArch(&r, a); err != nil {
					err = fmt.Errorf("%s: %w", filepath.Join(f.dir, resultFile), err)
				}
			}
			if err == nil {
				return r, nil
			}
			// A bad result is a failed attempt: keep the file aside for a look.
			id, _ := readJobID(f.dir)
			if id == "" {
				id = "0"
			}
			if rerr := os.Rename(filepath.Join(f.dir, resultFile), filepath.Join(f.dir, resultFile+".bad-"+id)); rerr != nil {
				return nas.Result{}, rerr
			}
			if err := e.conclude(f, id, "BADRESULT", err.Error()); err != nil {
				return nas.Result{}, err
			}
			continue
		}
		if r, ok, err := readResult(filepath.Join(f.dir, failedFile)); ok {
			return r, err
		}
		attempts, err := readAttempts(f.dir)
		if err != nil {
			return nas.Result{}, err
		}
		outcomes, err := readOutcomes(f.dir)
		if err != nil {
			return nas.Result{}, err
		}
		var failures []outcome
		for _, o := range outcomes {
			if o.State != aborted {
				failures = append(failures, o)
			}
		}
		id, err := readJobID(f.dir)
		if err != nil {
			return nas.Result{}, err
		}
		if id == "" && len(failures) > e.cfg.Retries {
			return e.fail(f, a, len(attempts), failures)
		}
		if id == "" {
			if id, err = e.submit(ctx, f, a, attempts); err != nil {
				return nas.Result{}, err
			}
			if attempts, err = readAttempts(f.dir); err != nil {
				return nas.Result{}, err
			}
		}
		var submitted time.Time
		for _, at := range attempts {
			if at.ID == id {
				submitted = at.Submitted
			}
		}
		e.setFlight(f, func(f *flight) { f.id, f.submitted, f.attempts = id, submitted, len(attempts) })

		st, done, err := e.watch(ctx, f, id)
		switch {
		case ctx.Err() != nil:
			return nas.Result{}, e.abort(f, id, ctx.Err())
		case err != nil:
			return nas.Result{}, err
		case done:
			continue // result.json is there: read it at the top
		}
		var detail []string
		if st.Detail != "" {
			detail = append(detail, st.Detail)
		}
		if st.ExitCode != "" {
			detail = append(detail, "exit "+st.ExitCode)
		}
		if l := lastLine(filepath.Join(f.dir, "job-"+id+".log")); l != "" {
			detail = append(detail, "last log line: "+l)
		}
		if err := e.conclude(f, id, st.State, strings.Join(detail, "; ")); err != nil {
			return nas.Result{}, err
		}
	}
}

// prepare creates the job directory and its spec.json, or checks that an
// existing spec.json is for the same candidate (one written before spec.json
// held the data gets it added).
func (e *Evaluator) prepare(dir string, a nas.Arch) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	want := JobSpec{Key: a.Key(), Arch: a, Recipe: e.cfg.Recipe, Dataset: e.cfg.Dataset, DataArgs: e.cfg.DataArgs, Data: e.cfg.Data}
	path := filepath.Join(dir, specFile)
	if b, err := os.ReadFile(path); err == nil {
		var got JobSpec
		if err := json.Unmarshal(b, &got); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		if got.Key != want.Key || got.Recipe != want.Recipe || got.Dataset != want.Dataset || got.DataArgs != want.DataArgs {
			return fmt.Errorf("%s: is for %s (dataset %q), not for %s (dataset %q) with this recipe", path, got.Key, got.Dataset, want.Key, want.Dataset)
		}
		if got.Data != nil || want.Data == nil {
			return nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	b, _ := json.MarshalIndent(want, "", "  ")
	return writeAtomic(path, append(b, '\n'))
}

// fixArch fills a result's missing arch, and rejects a result for another one.
func fixArch(r *nas.Result, a nas.Arch) error {
	if r.Arch.Width == 0 && len(r.Arch.Ops) == 0 && len(r.Arch.Kernels) == 0 {
		r.Arch = a.Clone()
		return nil
	}
	if !r.Arch.Equal(a) {
		return fmt.Errorf("result is for %s, not for %s", r.Arch.Key(), a.Key())
	}
	return nil
}

// submit submits attempt len(attempts)+1, or adopts an active job of this
// candidate's name that no attempt line knows (one submitted by a process
// that died before writing it down).
func (e *Evaluator) submit(ctx context.Context, f *flight, a nas.Arch, attempts []attempt) (string, error) {
	// The submission runs to its end even if ctx ends meanwhile, so that the
	// job id is always written down; watch then cancels the job.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	e.setFlight(f, func(f *flight) { f.state = "SUBMITTING" })
	known := map[string]bool{}
	for _, at := range attempts {
		known[at.ID] = true
	}
	n := len(attempts) + 1
	active, err := e.cmd.activeByName(sctx, f.name)
	if err != nil {
		return "", err
	}
	id := ""
	for _, x := range active {
		if !known[x] {
			id = x
			break
		}
	}
	if id == "" {
		command, err := render(e.tmpl, spec(a, e.cfg, f.dir, n))
		if err != nil {
			return "", err
		}
		path := filepath.Join(f.dir, scriptFile)
		if err := writeAtomic(path, []byte(script(f.key, f.dir, e.cfg.Setup, command, n))); err != nil {
			return "", err
		}
		flags := append([]string{
			"--job-name=" + f.name,
			"--output=" + filepath.Join(f.dir, "job-%j.log"),
			"--chdir=" + f.dir,
		}, e.cfg.sbatchFlags()...)
		if id, err = e.cmd.sbatch(sctx, flags, path); err != nil {
			return "", err
		}
	}
	if err := appendLine(filepath.Join(f.dir, attemptsFile), fmt.Sprintf("%d %s %s", n, id, time.Now().UTC().Format(time.RFC3339Nano))); err != nil {
		return "", err
	}
	if err := writeAtomic(filepath.Join(f.dir, jobIDFile), []byte(id+"\n")); err != nil {
		return "", err
	}
	return id, nil
}

// watch polls until job id ends. done is true when result.json appeared;
// otherwise st says how the job ended (LOST when it vanished).
func (e *Evaluator) watch(ctx context.Context, f *flight, id string) (st jobState, done bool, err error) {
	var missingSince, completedSince time.Time
	resultGrace := min(e.cfg.LostAfter, 3*e.cfg.Poll)
	for {
		st, known, qerr := e.lookup(ctx, f, id)
		if ctx.Err() != nil {
			return jobState{}, false, ctx.Err()
		}
		if _, err := os.Stat(filepath.Join(f.dir, resultFile)); err == nil {
			return jobState{}, true, nil
		}
		now := time.Now()
		switch {
		case qerr != nil:
			e.pollMu.Lock()
			since := e.failSince
			e.pollMu.Unlock()
			if !since.IsZero() && now.Sub(since) > e.cfg.LostAfter {
				return jobState{}, false, fmt.Errorf("job %s: Slurm commands failing since %s: %w", id, since.Format(time.RFC3339), qerr)
			}
		case !known:
			e.setFlight(f, func(f *flight) { f.state = "UNKNOWN" })
			if missingSince.IsZero() {
				missingSince = now
			} else if now.Sub(missingSince) > e.cfg.LostAfter {
				lost := jobState{State: "LOST", Ended: true, Detail: fmt.Sprintf("in neither squeue nor sacct for %v, no result", e.cfg.LostAfter)}
				e.pollMu.Lock()
				if e.sacctErr != nil {
					lost.Detail += " (" + e.sacctErr.Error() + ")"
				}
				e.pollMu.Unlock()
				return lost, false, nil
			}
		default:
			missingSince = time.Time{}
			e.setFlight(f, func(f *flight) { f.state = st.State })
			if st.Held {
				// It would wait for a release forever: cancel it, so that
				// the next attempt is a new job.
				if err := e.cmd.scancel(ctx, id); err != nil {
					return jobState{}, false, fmt.Errorf("job %s: %s; scancel failed: %w", id, st.Detail, err)
				}
				st.Detail += "; cancelled"
				return st, false, nil
			}
			if st.Ended && st.State != "COMPLETED" {
				return st, false, nil
			}
			if st.Ended {
				// Completed: the result may take a moment to show on a shared filesystem.
				if completedSince.IsZero() {
					completedSince = now
				} else if now.Sub(completedSince) > resultGrace {
					st.Detail = "completed without writing " + resultFile
					return st, false, nil
				}
			}
		}
		t := time.NewTimer(e.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return jobState{}, false, ctx.Err()
		case <-t.C:
		}
	}
}

// lookup returns what the cluster says about job id, querying the queue
// for all the jobs in flight at once, at most about once per Poll/2.
func (e *Evaluator) lookup(ctx context.Context, f *flight, id string) (jobState, bool, error) {
	e.pollMu.Lock()
	defer e.pollMu.Unlock()
	if e.queried[id] && time.Since(e.lastPoll) < e.cfg.Poll/2 {
		st, ok := e.states[id]
		return st, ok, nil
	}
	names := map[string]string{id: f.name}
	e.mu.Lock()
	for _, g := range e.flights {
		if g.id != "" {
			names[g.id] = g.name
		}
	}
	e.mu.Unlock()
	ids := make([]string, 0, len(names))
	for x := range names {
		ids = append(ids, x)
	}
	slices.Sort(ids)
	states, err := e.cmd.squeue(ctx, ids, names)
	if err == nil {
		// Jobs gone from the queue, and ended ones (squeue has no exit
		// code), are looked up in the completion log.
		var gone []string
		for _, x := range ids {
			if st, ok := states[x]; !ok || st.Ended {
				gone = append(gone, x)
			}
		}
		if len(gone) > 0 {
			// Without the completion log a job that left the queue can only
			// be noticed as lost: that is slower, not wrong, so a failing
			// sacct is remembered for the message, not fatal.
			ended, serr := e.cmd.sacct(ctx, e.cfg.Accounting, gone, names)
			e.sacctErr = serr
			for x, st := range ended {
				states[x] = st
			}
		}
	}
	if err != nil {
		if e.failSince.IsZero() {
			e.failSince = time.Now()
		}
		e.queried = map[string]bool{}
		return jobState{}, false, err
	}
	e.failSince = time.Time{}
	e.states, e.lastPoll, e.queried = states, time.Now(), map[string]bool{}
	for _, x := range ids {
		e.queried[x] = true
	}
	st, ok := states[id]
	return st, ok, nil
}

// conclude records how attempt id ended and clears the jobid file.
func (e *Evaluator) conclude(f *flight, id, state, detail string) error {
	detail = strings.Join(strings.Fields(detail), " ")
	if err := appendLine(filepath.Join(f.dir, outcomesFile), id+" "+state+" "+detail); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(f.dir, jobIDFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	e.setFlight(f, func(f *flight) { f.state = state })
	return nil
}

// abort cancels job id because the caller's context ended, and returns cause.
func (e *Evaluator) abort(f *flight, id string, cause error) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e.setFlight(f, func(f *flight) { f.state = "CANCELLING" })
	if err := e.cmd.scancel(ctx, id); err != nil {
		// The job may still run: keep its id, a later call watches it again.
		return fmt.Errorf("%w (and scancel %s failed: %v)", cause, id, err)
	}
	if err := e.conclude(f, id, aborted, "cancelled by the evaluator: "+cause.Error()); err != nil {
		return fmt.Errorf("%w (job %s cancelled, but: %v)", cause, id, err)
	}
	return cause
}

// fail writes and returns the candidate's final failed result.
func (e *Evaluator) fail(f *flight, a nas.Arch, attempts int, failures []outcome) (nas.Result, error) {
	last := failures[len(failures)-1]
	r := nas.Result{
		Arch:     a.Clone(),
		Failed:   true,
		Error:    fmt.Sprintf("slurm: %d of %d attempts failed; last: job %s %s: %s", len(failures), attempts, last.ID, last.State, last.Detail),
		Finished: time.Now().UTC(),
	}
	b, _ := json.Marshal(r)
	if err := writeAtomic(filepath.Join(f.dir, failedFile), append(b, '\n')); err != nil {
		return nas.Result{}, err
	}
	e.setFlight(f, func(f *flight) { f.state = "FAILED" })
	return r, nil
}
