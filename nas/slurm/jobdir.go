package slurm

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/trgnas/trgnas/nas"
)

// Names of the files in a job directory.
const (
	specFile     = "spec.json"
	scriptFile   = "job.sh"
	attemptsFile = "attempts"
	jobIDFile    = "jobid"
	outcomesFile = "outcomes"
	resultFile   = "result.json"
	failedFile   = "failed.json"
)

// aborted is the outcome state of an attempt this evaluator cancelled
// itself (its context ended); it does not count against Retries.
const aborted = "ABORTED"

// dirName is the job directory's base name: the arch key and a hash of
// what else decides the result (recipe with seed, dataset).
func dirName(a nas.Arch, r nas.Recipe, dataset, dataArgs string) string {
	b, _ := json.Marshal(struct {
		Recipe   nas.Recipe `json:"recipe"`
		Dataset  string     `json:"dataset"`
		DataArgs string     `json:"data_args,omitempty"`
	}{r, dataset, dataArgs})
	h := sha256.Sum256(b)
	return a.Key() + "-" + hex.EncodeToString(h[:5])
}

func spec(a nas.Arch, c Config, dir string, attempt int) Spec {
	aj, _ := json.Marshal(a)
	return Spec{
		Arch: a.Clone(), Key: a.Key(), ArchJSON: string(aj), Width: a.Width, Depth: a.Depth(),
		Ops: joinInts(a.Ops), Kernels: joinInts(a.Kernels),
		Recipe: c.Recipe, Dataset: c.Dataset, DataArgs: c.DataArgs, Dir: dir, SpecFile: filepath.Join(dir, specFile), Attempt: attempt,
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func render(t *template.Template, s Spec) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, s); err != nil {
		return "", fmt.Errorf("Command template: %v", err)
	}
	return b.String(), nil
}

// script is the batch script of one attempt. The command's stdout goes to
// a part file that becomes result.json only when the command exits 0 and
// printed something, so a result file is always whole.
func script(key, dir, setup, command string, attempt int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/bash\n# TRG-NAS candidate %s, attempt %d.\n", key, attempt)
	fmt.Fprintf(&b, "export TRGNAS_KEY=%s TRGNAS_JOB_DIR=%s TRGNAS_ATTEMPT=%d\n", quote(key), quote(dir), attempt)
	fmt.Fprintf(&b, "cd %s || exit 1\n", quote(dir))
	if setup != "" {
		b.WriteString(setup)
		b.WriteString("\n")
	}
	b.WriteString("part=" + resultFile + ".part-${SLURM_JOB_ID:-$$}\n")
	b.WriteString("(\n" + command + "\n) >\"$part\"\n")
	b.WriteString(`rc=$?
if [ "$rc" -ne 0 ]; then
	rm -f "$part"
	exit "$rc"
fi
if [ ! -s "$part" ]; then
	echo "trgnas: training command printed no result on stdout" >&2
	rm -f "$part"
	exit 3
fi
mv -f "$part" ` + resultFile + "\n")
	return b.String()
}

// writeAtomic writes data to path through a temporary file and a rename.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// appendLine appends one whole line to path, creating it, and syncs it.
func appendLine(path, line string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(line + "\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// attempt is one line of the attempts file.
type attempt struct {
	N         int
	ID        string
	Submitted time.Time
}

// readAttempts reads the attempts file; a missing file is no attempts. A
// malformed line is an error naming the file and line.
func readAttempts(dir string) ([]attempt, error) {
	lines, err := readLines(filepath.Join(dir, attemptsFile))
	if err != nil {
		return nil, err
	}
	var out []attempt
	for i, l := range lines {
		f := strings.Fields(l)
		var at attempt
		if len(f) == 3 {
			at.N, err = strconv.Atoi(f[0])
			if err == nil {
				at.Submitted, err = time.Parse(time.RFC3339Nano, f[2])
			}
		}
		if len(f) != 3 || err != nil || !validID(f[1]) {
			return nil, fmt.Errorf("%s:%d: malformed attempt line %q (want: number job-id RFC3339-time)", filepath.Join(dir, attemptsFile), i+1, l)
		}
		at.ID = f[1]
		out = append(out, at)
	}
	return out, nil
}

// outcome is one line of the outcomes file: how an attempt ended without
// a result.
type outcome struct {
	ID, State, Detail string
}

func readOutcomes(dir string) ([]outcome, error) {
	lines, err := readLines(filepath.Join(dir, outcomesFile))
	if err != nil {
		return nil, err
	}
	var out []outcome
	for i, l := range lines {
		f := strings.SplitN(l, " ", 3)
		if len(f) < 2 || !validID(f[0]) || f[1] == "" {
			return nil, fmt.Errorf("%s:%d: malformed outcome line %q (want: job-id STATE detail)", filepath.Join(dir, outcomesFile), i+1, l)
		}
		o := outcome{ID: f[0], State: f[1]}
		if len(f) == 3 {
			o.Detail = f[2]
		}
		out = append(out, o)
	}
	return out, nil
}

func readLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

// validID accepts Slurm job ids: digits, with an optional array suffix.
func validID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// readJobID returns the id in the jobid file, or "" when there is none.
func readJobID(dir string) (string, error) {
	path := filepath.Join(dir, jobIDFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(b))
	if !validID(id) {
		return "", fmt.Errorf("%s: malformed job id %q", path, id)
	}
	return id, nil
}

// readResult reads a result file. ok is false when the file does not
// exist; a file that does not hold one nas.Result is an error naming the
// file and the offset.
func readResult(path string) (r nas.Result, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nas.Result{}, false, nil
	}
	if err != nil {
		return nas.Result{}, false, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&r); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nas.Result{}, true, fmt.Errorf("%s: offset %d: %v", path, se.Offset, err)
		case errors.As(err, &te):
			return nas.Result{}, true, fmt.Errorf("%s: offset %d: field %s: %v", path, te.Offset, te.Field, err)
		}
		return nas.Result{}, true, fmt.Errorf("%s: %v", path, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return nas.Result{}, true, fmt.Errorf("%s: offset %d: more than one JSON value (the command must print only its result on stdout)", path, d.InputOffset())
	}
	return r, true, nil
}

// lastLine returns the last non-empty line of a log file, reading at most
// its last 8 KiB; "" when it cannot be read.
func lastLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	const tail = 8 << 10
	if st, err := f.Stat(); err == nil && st.Size() > tail {
		if _, err := f.Seek(st.Size()-tail, io.SeekStart); err != nil {
			return ""
		}
	}
	var last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, tail), tail)
	for sc.Scan() {
		// A progress bar may redraw with carriage returns: keep the last part.
		l := sc.Text()
		if i := strings.LastIndexByte(strings.TrimRight(l, "\r"), '\r'); i >= 0 {
			l = l[i+1:]
		}
		if l = strings.TrimSpace(l); l != "" {
			last = l
		}
	}
	return last
}
