package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/trgnas/trgnas/nas/slurm"
)

func init() {
	register("jobs", "list the Slurm job directories of a search: state, attempts and progress of each candidate", runJobs)
}

// runJobs lists a Slurm work dir with slurm.Scan: it reads the job
// directories only, so it works while a search runs in another process.
func runJobs(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("jobs", "--slurm-dir DIR", stderr)
	dir := fs.String("slurm-dir", "", "job directory of the search (its -slurm-dir; required)")
	asJSON := fs.Bool("json", false, "print the jobs as a JSON array")
	all := fs.Bool("all", false, "list finished candidates too (default: only those not done)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("-slurm-dir is required")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	jobs, err := slurm.Scan(*dir)
	if jobs == nil && err != nil {
		return err
	}
	if err != nil {
		fmt.Fprintf(stderr, "warning: %v\n", err)
	}
	counts := map[string]int{}
	var shown []slurm.Job
	for _, j := range jobs {
		counts[j.State]++
		if *all || j.State == slurm.StateSubmitted || j.State == slurm.StateIdle {
			shown = append(shown, j)
		}
	}
	if *asJSON {
		if shown == nil {
			shown = []slurm.Job{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(shown)
	}
	fmt.Fprintf(stdout, "%s: %d candidates: %d done, %d failed, %d submitted, %d idle\n", *dir, len(jobs),
		counts[slurm.StateDone], counts[slurm.StateFailed], counts[slurm.StateSubmitted], counts[slurm.StateIdle])
	if len(shown) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tSTATE\tJOB\tATTEMPTS\tSUBMITTED\tPROGRESS")
	for _, j := range shown {
		sub := "-"
		if !j.Submitted.IsZero() {
			sub = j.Submitted.UTC().Format(time.DateTime)
		}
		id := j.ID
		if id == "" {
			id = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", j.Key, j.State, id, j.Attempts, sub, j.Progress)
	}
	return tw.Flush()
}
