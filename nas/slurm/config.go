// Package slurm trains TRG-NAS candidates as Slurm jobs: Evaluator submits
// one batch job per candidate (sbatch), watches it (squeue, then the job
// completion log through sacct), retries failed attempts, and collects the
// result the job wrote into its job directory on the shared filesystem.
// Slurm does the scheduling; the evaluator only submits, watches and
// collects, so a search with several candidates in flight keeps every GPU of
// the cluster busy.
//
// # Job directories
//
// Each candidate has one directory under Config.WorkDir, named by the
// architecture key and a hash of the recipe (seed included) and dataset:
// JobDir. It holds:
//
//	spec.json        arch, recipe and data the directory is for (JobSpec)
//	job.sh           the batch script of the latest attempt
//	attempts         one line per sbatch: attempt number, job id, time
//	jobid            the job id of the attempt in flight (absent otherwise)
//	outcomes         one line per attempt that ended without a result
//	job-<id>.log     the job's stdout and stderr (the command's stderr)
//	result.json      the nas.Result the command printed (success)
//	failed.json      the failed nas.Result, once the retries are spent
//
// These files make the evaluator restartable: a new Evaluator on the same
// work dir returns result.json or failed.json without submitting anything,
// and resumes watching the job named in jobid instead of submitting again.
// Delete failed.json (and outcomes) to have a failed candidate tried again.
//
// One process at a time should drive a work dir; within a process, any
// number of concurrent Evaluate calls are fine, and calls for the same
// candidate share one job.
//
// # Searching through Slurm
//
// runner.Runner.RunParallel with an Evaluator keeps up to n jobs in flight:
// the candidate the search needs and those it predicts. A predicted
// candidate that the decisions make useless has its Evaluate context
// cancelled, which scancels its job; a result that is already in stays in
// the job directory and goes into the search's ledger as a speculative
// record. trgnas search -evaluator slurm -parallel N does this from the
// command line; killed and run again, it adopts the jobs still in flight
// (jobid files) and submits nothing twice.
//
// # Following the jobs
//
// In the process that runs the search (a notebook cell, say), Jobs lists
// the candidates in flight with their Slurm state, attempt count and the
// last line of their log (the training progress). From anywhere that sees
// the work dir, another notebook or a shell, Scan lists every candidate
// from its job directory alone, without asking Slurm; trgnas jobs
// -slurm-dir DIR prints the same, and trgnas search prints the candidates
// in flight every -status-every.
package slurm

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"time"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
)

// DefaultCommand is the training command a job runs when Config.Command is
// empty: "trgnas train" (on the nodes' PATH; Setup may extend it) reading
// the job directory's spec.json (JobSpec: network, the whole recipe, and
// Config.Data, the data to read) and printing its nas.Result as JSON on
// stdout. A custom Command (a site's wrapper) can pass the same file.
const DefaultCommand = `trgnas train --spec {{q .SpecFile}} --json`

// Config says what a job runs, with which resources, and how it is watched.
// The zero values of the optional fields pick the defaults documented on
// each field.
type Config struct {
	// WorkDir holds one job directory per candidate. It must be on a
	// filesystem that the compute nodes share with the submitting process.
	WorkDir string

	// Command is a text/template of the shell command that trains one
	// candidate and prints one nas.Result JSON object on stdout (progress
	// goes to stderr, which lands in the job's log). Its data is a Spec;
	// the function q shell-quotes a string. Empty means DefaultCommand.
	Command string
	// Setup is shell text run in the job before Command (module loads,
	// environment variables, a virtualenv).
	Setup string

	// Recipe and Dataset identify what a candidate is trained with: they
	// are given to the Command template and hashed into the job directory
	// name, so a change of either never reuses an old result. Recipe must
	// be valid; Dataset names the data and its fingerprint.
	Recipe  nas.Recipe
	Dataset string
	// Data is the data the jobs read (written into each spec.json, see
	// JobSpec); DefaultCommand needs it. Its directory must be the same on
	// the nodes (trgnas train --data-dir overrides it there), and the
	// data found must have the name Dataset, fingerprint included.
	Data *data.Spec
	// DataArgs is shell text for a custom Command to find the data on the
	// nodes, e.g. "--dataset cifar10 --data-dir /shared/cifar10". It is
	// hashed into the job directory name too.
	DataArgs string

	// Name prefixes every job name (the rest is the job directory's name),
	// so that a user's own jobs are easy to find and cancel. Default
	// "trgnas-".
	Name string

	// Job resources. Zero values add no flag, leaving the cluster defaults.
	Partition string        // --partition
	GPUs      int           // --gres=gpu:N
	CPUs      int           // --cpus-per-task
	Mem       string        // --mem, e.g. "32G"
	Time      time.Duration // --time, rounded up to a minute
	Flags     []string      // further sbatch flags, e.g. "--account=x", "--qos=y"

	// Retries is how many times an attempt that failed, was cancelled
	// (not by this evaluator), was lost, or could not be started (Slurm
	// holds such a job: the evaluator cancels it) is submitted again
	// before the candidate is returned as failed. Default 0: no retry.
	Retries int
	// Poll is the interval between two looks at the queue. Default 10s.
	Poll time.Duration
	// LostAfter is how long a job may be missing from both squeue and the
	// completion log, with no result, before it counts as a lost (failed)
	// attempt. It is also how long the Slurm commands may keep failing
	// before Evaluate gives up with an error. Default 2m.
	LostAfter time.Duration
	// Accounting is set on clusters that run slurmdbd: ended jobs are then
	// read with plain sacct instead of "sacct -c" (the job completion log).
	Accounting bool

	// Bin is the directory of the Slurm commands (sbatch, squeue, sacct,
	// scancel); empty means PATH.
	Bin string
	// Env is added to the environment of the Slurm commands, e.g.
	// "SLURM_CONF=/etc/slurm-test/slurm.conf".
	Env []string
}

// ErrConfig is wrapped by every error of Config.Validate.
var ErrConfig = errors.New("invalid slurm config")

// Spec is the data of the Command template: one attempt of one candidate.
type Spec struct {
	Arch     nas.Arch
	Key      string // Arch.Key()
	ArchJSON string // Arch as JSON
	Width    int
	Depth    int
	Ops      string // comma-separated, e.g. "1,0,0"
	Kernels  string // comma-separated, e.g. "3,5,3"
	Recipe   nas.Recipe
	Dataset  string
	DataArgs string
	Dir      string // the job directory (absolute)
	SpecFile string // the job directory's spec.json (JobSpec)
	Attempt  int    // 1 for the first submission
}

func (c Config) withDefaults() Config {
	if c.Command == "" {
		c.Command = DefaultCommand
	}
	if c.Name == "" {
		c.Name = "trgnas-"
	}
	if c.Poll <= 0 {
		c.Poll = 10 * time.Second
	}
	if c.LostAfter <= 0 {
		c.LostAfter = 2 * time.Minute
	}
	return c
}

// Validate checks the configuration; errors wrap ErrConfig and name the
// field.
func (c Config) Validate() error {
	_, err := c.parse()
	return err
}

// parse validates c and compiles its command template.
func (c Config) parse() (*template.Template, error) {
	c = c.withDefaults()
	switch {
	case c.WorkDir == "":
		return nil, fmt.Errorf("%w: WorkDir is empty", ErrConfig)
	case c.GPUs < 0:
		return nil, fmt.Errorf("%w: GPUs %d, must be >= 0", ErrConfig, c.GPUs)
	case c.CPUs < 0:
		return nil, fmt.Errorf("%w: CPUs %d, must be >= 0", ErrConfig, c.CPUs)
	case c.Time < 0:
		return nil, fmt.Errorf("%w: Time %v, must be >= 0", ErrConfig, c.Time)
	case c.Retries < 0:
		return nil, fmt.Errorf("%w: Retries %d, must be >= 0", ErrConfig, c.Retries)
	case strings.ContainsAny(c.Name, " \t\n/'\"$`\\"):
		return nil, fmt.Errorf("%w: Name %q: no blanks, slashes, quotes or shell characters", ErrConfig, c.Name)
	}
	if err := c.Recipe.Validate(); err != nil {
		return nil, fmt.Errorf("%w: Recipe: %v", ErrConfig, err)
	}
	if c.Command == DefaultCommand && c.Data == nil {
		return nil, fmt.Errorf("%w: Data: DefaultCommand (trgnas train --spec) needs the data the jobs read", ErrConfig)
	}
	if c.Data != nil {
		if err := c.Data.Validate(); err != nil {
			return nil, fmt.Errorf("%w: Data: %v", ErrConfig, err)
		}
	}
	for i, f := range c.Flags {
		if !strings.HasPrefix(f, "-") {
			return nil, fmt.Errorf("%w: Flags[%d] = %q, must start with '-'", ErrConfig, i, f)
		}
	}
	for i, kv := range c.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("%w: Env[%d] = %q, must be NAME=value", ErrConfig, i, kv)
		}
	}
	t, err := template.New("Command").Option("missingkey=error").Funcs(template.FuncMap{"q": quote}).Parse(c.Command)
	if err != nil {
		return nil, fmt.Errorf("%w: Command: %v", ErrConfig, err)
	}
	// Render once with a sample candidate so that a reference to a missing
	// field fails here, not on the cluster.
	a := nas.Uniform(16, 3, nas.OpSepConv, 3)
	if _, err := render(t, spec(a, c, "/work/dir", 1)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return t, nil
}

// quote returns s as one single-quoted shell word.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// sbatchFlags are the resource flags of a job, in a fixed order.
func (c Config) sbatchFlags() []string {
	var f []string
	if c.Partition != "" {
		f = append(f, "--partition="+c.Partition)
	}
	if c.GPUs > 0 {
		f = append(f, fmt.Sprintf("--gres=gpu:%d", c.GPUs))
	}
	if c.CPUs > 0 {
		f = append(f, fmt.Sprintf("--cpus-per-task=%d", c.CPUs))
	}
	if c.Mem != "" {
		f = append(f, "--mem="+c.Mem)
	}
	if c.Time > 0 {
		f = append(f, "--time="+slurmTime(c.Time))
	}
	return append(f, c.Flags...)
}

// slurmTime writes d, rounded up to a minute, as Slurm's days-hours:minutes:seconds.
func slurmTime(d time.Duration) string {
	m := int((d + time.Minute - 1) / time.Minute)
	return fmt.Sprintf("%d-%02d:%02d:00", m/(24*60), m/60%24, m%60)
}
