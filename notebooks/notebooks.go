// Package notebooks holds the TRG-NAS Jupyter notebooks (run on the GoNB
// kernel) and the code that executes them headless and checks what they
// printed: the notebook tests use it, and so can scripts.
//
// Execute runs every cell even when one fails (nbconvert --allow-errors):
// a compile error leaves an error output; a panic, log.Fatal or os.Exit in
// a cell leaves a stderr stream ending in "exit status N" (and, with GoNB
// v0.11.4, an error output saying the same). Problems reads an executed
// notebook and reports those, one per failed cell.
package notebooks

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Notebook is the part of an .ipynb file (nbformat 4) that the checks read.
type Notebook struct {
	Cells    []Cell         `json:"cells"`
	Metadata map[string]any `json:"metadata"`
	Format   int            `json:"nbformat"`
}

// Cell is one notebook cell.
type Cell struct {
	Type           string   `json:"cell_type"`
	Source         text     `json:"source"`
	ExecutionCount *int     `json:"execution_count,omitempty"`
	Outputs        []Output `json:"outputs,omitempty"`
}

// Output is one output of a code cell: a stream (Name "stdout" or
// "stderr", Text), display_data or execute_result (Data by MIME type), or an
// error (EName, EValue).
type Output struct {
	Type   string          `json:"output_type"`
	Name   string          `json:"name,omitempty"`
	Text   text            `json:"text,omitempty"`
	Data   map[string]text `json:"data,omitempty"`
	EName  string          `json:"ename,omitempty"`
	EValue string          `json:"evalue,omitempty"`
}

// text is a notebook string field: nbformat allows a string or a list of
// strings (lines) to be joined.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = text(s)
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err == nil {
		*t = text(strings.Join(lines, ""))
		return nil
	}
	// Non-text MIME data (e.g. application/json) is kept as raw JSON.
	*t = text(b)
	return nil
}

// String returns the text.
func (t text) String() string { return string(t) }

// Parse decodes an .ipynb file. name is used in errors.
func Parse(name string, data []byte) (*Notebook, error) {
	var nb Notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s: offset %d: %w", name, se.Offset, err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if nb.Format != 4 {
		return nil, fmt.Errorf("%s: nbformat %d, want 4", name, nb.Format)
	}
	return &nb, nil
}

// ReadFile reads and parses an .ipynb file.
func ReadFile(path string) (*Notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// exitStatus matches what GoNB prints on stderr when a cell's program ends
// with a non-zero status (panic, log.Fatal, os.Exit, a failing "!" line).
var exitStatus = regexp.MustCompile(`exit status \d+\s*$`)

// Problems lists what went wrong in an executed notebook, one entry per
// error output or failed cell, each naming the cell (0-based index among all
// cells).
func (nb *Notebook) Problems() []error {
	var probs []error
	for i, c := range nb.Cells {
		var stderr strings.Builder
		failed := false
		for _, o := range c.Outputs {
			if o.Type == "stream" && o.Name == "stderr" {
				stderr.WriteString(o.Text.String())
				if exitStatus.MatchString(o.Text.String()) && !failed {
					failed = true
					probs = append(probs, fmt.Errorf("cell %d: program failed: %s", i, tail(o.Text.String(), 600)))
				}
			}
		}
		// Streams may arrive split: check the cell's stderr as a whole too.
		if all := stderr.String(); !failed && exitStatus.MatchString(all) {
			failed = true
			probs = append(probs, fmt.Errorf("cell %d: program failed: %s", i, tail(all, 600)))
		}
		for _, o := range c.Outputs {
			// GoNB v0.11.4 also reports a failed program as an error output
			// "exit status N": the stderr above already says it, with more.
			if o.Type == "error" && !(failed && exitStatus.MatchString(o.EValue)) {
				probs = append(probs, fmt.Errorf("cell %d: error output %s: %s", i, o.EName, o.EValue))
			}
		}
	}
	return probs
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// Count returns how many outputs carry data of the given MIME type (e.g.
// "image/png").
func (nb *Notebook) Count(mime string) int {
	n := 0
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			if _, ok := o.Data[mime]; ok {
				n++
			}
		}
	}
	return n
}

// Text returns every textual output (streams, text/plain, text/markdown and
// text/html) in cell order, one after the other.
func (nb *Notebook) Text() string {
	var b strings.Builder
	for _, c := range nb.Cells {
		for _, o := range c.Outputs {
			b.WriteString(o.Text.String())
			for _, m := range []string{"text/plain", "text/markdown", "text/html"} {
				b.WriteString(o.Data[m].String())
			}
		}
	}
	return b.String()
}

// Images returns the decoded bytes of every output of the given MIME type
// (base64 in the file), in cell order.
func (nb *Notebook) Images(mime string) ([][]byte, error) {
	var out [][]byte
	for i, c := range nb.Cells {
		for _, o := range c.Outputs {
			d, ok := o.Data[mime]
			if !ok {
				continue
			}
			b, err := decodeBase64(d.String())
			if err != nil {
				return nil, fmt.Errorf("cell %d: %s: %w", i, mime, err)
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// HasOutputs reports whether any code cell has outputs or an execution
// count: a notebook is committed without them.
func (nb *Notebook) HasOutputs() bool {
	for _, c := range nb.Cells {
		if len(c.Outputs) > 0 || c.ExecutionCount != nil {
			return true
		}
	}
	return false
}

// Kernel returns the name of the notebook's kernel spec ("" if none).
func (nb *Notebook) Kernel() string {
	ks, _ := nb.Metadata["kernelspec"].(map[string]any)
	name, _ := ks["name"].(string)
	return name
}

// ErrNoJupyter is returned by CheckTools when jupyter or the gonb kernel is
// missing.
var ErrNoJupyter = errors.New("jupyter nbconvert or the gonb kernel is not installed (run scripts/setup-notebooks.sh)")

// CheckTools checks that jupyter nbconvert runs and that a gonb kernel spec
// is in one of Jupyter's data directories. Errors wrap ErrNoJupyter.
func CheckTools(ctx context.Context) error {
	if _, err := exec.LookPath("jupyter"); err != nil {
		return fmt.Errorf("%w: %v", ErrNoJupyter, err)
	}
	out, err := exec.CommandContext(ctx, "jupyter", "--paths", "--json").Output()
	if err != nil {
		return fmt.Errorf("%w: jupyter --paths: %v", ErrNoJupyter, err)
	}
	var paths struct{ Data []string }
	if err := json.Unmarshal(out, &paths); err != nil {
		return fmt.Errorf("%w: jupyter --paths --json: %v", ErrNoJupyter, err)
	}
	if v := os.Getenv("JUPYTER_DATA_DIR"); v != "" {
		paths.Data = append(paths.Data, v)
	}
	found := false
	for _, d := range paths.Data {
		if _, err := os.Stat(filepath.Join(d, "kernels", "gonb", "kernel.json")); err == nil {
			found = true
			break
		}
	}
	if !found {
		return fmt.Errorf("%w: no kernels/gonb/kernel.json under %s", ErrNoJupyter, strings.Join(paths.Data, ", "))
	}
	if err := exec.CommandContext(ctx, "jupyter", "nbconvert", "--version").Run(); err != nil {
		return fmt.Errorf("%w: jupyter nbconvert --version: %v", ErrNoJupyter, err)
	}
	return nil
}

// Execute runs the notebook at src headless on its kernel (jupyter nbconvert
// --execute) and writes the executed copy to dst; the notebook runs in its
// own folder, so GONB_DIR is src's folder. cellTimeout bounds each cell. env
// is added to the kernel's environment. It returns the parsed executed
// notebook; an error means nbconvert itself failed (e.g. a cell ran past
// cellTimeout) and its output is in the error. A nil error does not mean
// every cell succeeded: check Problems.
func Execute(ctx context.Context, src, dst string, cellTimeout time.Duration, env ...string) (*Notebook, error) {
	absSrc, err := filepath.Abs(src)
	if err != nil {
		return nil, err
	}
	absDst, err := filepath.Abs(dst)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "jupyter", "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
		fmt.Sprintf("--ExecutePreprocessor.timeout=%d", int(cellTimeout.Seconds())),
		"--output-dir", filepath.Dir(absDst), "--output", filepath.Base(absDst), absSrc)
	cmd.Dir = filepath.Dir(absSrc)
	cmd.Env = append(os.Environ(), env...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: jupyter nbconvert --execute: %v\n%s", src, err, tail(log.String(), 4000))
	}
	return ReadFile(absDst)
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}
