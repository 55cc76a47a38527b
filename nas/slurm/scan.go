package slurm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// States that Scan reports, read from the job directory alone.
const (
	StateDone      = "DONE"      // result.json is there
	StateFailed    = "FAILED"    // failed.json is there: the retries are spent
	StateSubmitted = "SUBMITTED" // a job id is recorded and no result yet
	StateIdle      = "IDLE"      // no job in flight and no result (new, or its last attempt was cancelled)
)

// Scan lists the candidates of a work dir from their job directories
// alone, without asking Slurm: what a notebook or a second process can show
// while a search runs elsewhere. State is one of StateDone, StateFailed,
// StateSubmitted and StateIdle. Directories without spec.json are not job
// directories and are left out. A job directory that cannot be read is
// reported in the error (joined, one per directory) and the others are
// still listed, in key order.
func Scan(workDir string) ([]Job, error) {
	entries, err := os.ReadDir(workDir)
	if err != nil {
		return nil, err
	}
	var jobs []Job
	var errs []error
	for _, en := range entries {
		if !en.IsDir() {
			continue
		}
		dir := filepath.Join(workDir, en.Name())
		j, ok, err := scanDir(dir)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			jobs = append(jobs, j)
		}
	}
	slices.SortFunc(jobs, func(x, y Job) int { return strings.Compare(x.Key, y.Key) })
	return jobs, errors.Join(errs...)
}

func scanDir(dir string) (Job, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, specFile))
	if errors.Is(err, os.ErrNotExist) {
		return Job{}, false, nil
	}
	if err != nil {
		return Job{}, false, err
	}
	var spec struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(b, &spec); err != nil || spec.Key == "" {
		return Job{}, false, fmt.Errorf("%s: not a job spec (%v)", filepath.Join(dir, specFile), err)
	}
	j := Job{Key: spec.Key, Dir: dir, State: StateIdle}
	attempts, err := readAttempts(dir)
	if err != nil {
		return j, true, err
	}
	j.Attempts = len(attempts)
	if id, err := readJobID(dir); err != nil {
		return j, true, err
	} else if id != "" {
		j.ID, j.State = id, StateSubmitted
		for _, at := range attempts {
			if at.ID == id {
				j.Submitted = at.Submitted
			}
		}
		j.Progress = lastLine(filepath.Join(dir, "job-"+id+".log"))
	}
	for _, f := range []struct{ file, state string }{{failedFile, StateFailed}, {resultFile, StateDone}} {
		if _, err := os.Stat(filepath.Join(dir, f.file)); err == nil {
			j.State = f.state
		}
	}
	return j, true, nil
}
