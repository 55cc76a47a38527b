package notebooks_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trgnas/trgnas/notebooks"
)

// expect is what an executed notebook must show.
type expect struct {
	file   string   // under notebooks/
	want   []string // substrings of the text outputs, in this order
	pngs   int      // at least this many image/png outputs
	view   bool     // shows a live search view (nb.View), which must end finished
	budget time.Duration
}

// suite lists every notebook of the folder; TestCommitted fails when a
// notebook is missing from it, so none goes unexecuted.
var suite = []expect{
	{file: "cifar10-gpu.ipynb", want: []string{"hardware:", "budget: CI", "download skipped", "found network: depth", "started:", "candidates recorded", "headless search done; found network: depth"}, pngs: 1, budget: 6 * time.Minute},
	{file: "stages.ipynb", want: []string{"hardware:", "budget: CI", "candidates of stage depth", "replayed 2 candidates from the ledger, trained again: 0", "by override (rules said", "State reset", "resumed from ledger", "trained again: 0;", "found network: depth"}, pngs: 1, budget: 6 * time.Minute},
	{file: "quickstart.ipynb", want: []string{"hardware:", "budget: CI", "Quickstart search: MNIST", "search finished: found", "decisions:", "found network: depth", "final training:", "test accuracy:", "architecture: depth", "parameters"}, pngs: 3, view: true, budget: 6 * time.Minute},
	{file: "fashion-mnist.ipynb", want: []string{"hardware:", "budget: CI", "data: fashion-mnist-train", "Fashion-MNIST search", "search finished: found", "decisions:", "found network: depth", "final recipe:", "found ", "baseline w8-o00-k33", "found minus baseline", "rank agreement, 1 epochs against 2"}, pngs: 4, view: true, budget: 6 * time.Minute},
	{file: "published.ipynb", want: []string{"46 candidates", "found network: depth 16 width 56", "453,498", "7.3x"}, pngs: 4, budget: 3 * time.Minute},
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, err string
	}{
		{"syntax", `{"cells": [}`, "offset 12"},
		{"format", `{"cells": [], "nbformat": 3}`, "nbformat 3, want 4"},
		{"type", `{"cells": 3, "nbformat": 4}`, "x.ipynb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notebooks.Parse("x.ipynb", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "x.ipynb") {
				t.Fatalf("Parse(%s) error %v, want one naming x.ipynb and %q", tc.in, err, tc.err)
			}
		})
	}
}

// cellJSON wraps outputs into a one-cell executed notebook.
func cellJSON(outputs string) string {
	return `{"nbformat": 4, "metadata": {"kernelspec": {"name": "gonb"}}, "cells": [
	 {"cell_type": "markdown", "source": "x"},
	 {"cell_type": "code", "execution_count": 1, "source": ["%%\n", "x()"], "outputs": [` + outputs + `]}]}`
}

func TestProblems(t *testing.T) {
	tests := []struct {
		name, outputs string
		want          []string // one substring per expected problem
	}{
		{"clean", `{"output_type": "stream", "name": "stdout", "text": "ok\n"},
			{"output_type": "stream", "name": "stderr", "text": ["go: added x v1\n"]}`, nil},
		{"error output", `{"output_type": "error", "ename": "ERROR", "evalue": "failed to compile", "traceback": []}`,
			[]string{"cell 1: error output ERROR: failed to compile"}},
		{"panic as lines", `{"output_type": "stream", "name": "stderr", "text": ["panic: boom\n", "\n", "goroutine 1\n", "exit status 2\n"]}`,
			[]string{"cell 1: program failed: panic: boom"}},
		{"panic with GoNB's error output", `{"output_type": "stream", "name": "stderr", "text": ["panic: boom\n", "exit status 2\n"]},
			{"output_type": "error", "ename": "ERROR", "evalue": "exit status 2", "traceback": ["exit status 2"]}`,
			[]string{"cell 1: program failed: panic: boom"}},
		{"exit error output alone", `{"output_type": "error", "ename": "ERROR", "evalue": "exit status 1", "traceback": []}`,
			[]string{"cell 1: error output ERROR: exit status 1"}},
		{"exit status split over streams", `{"output_type": "stream", "name": "stderr", "text": "log: bad\n"},
			{"output_type": "stream", "name": "stderr", "text": "exit status "},
			{"output_type": "stream", "name": "stderr", "text": "1\n"}`,
			[]string{"cell 1: program failed"}},
		{"exit status mid-stream is not the end", `{"output_type": "stream", "name": "stderr", "text": "exit status 1 of a child, then ok\n"}`, nil},
		{"stdout exit status ignored", `{"output_type": "stream", "name": "stdout", "text": "exit status 3\n"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			nb, err := notebooks.Parse("t.ipynb", []byte(cellJSON(tc.outputs)))
			if err != nil {
				t.Fatal(err)
			}
			probs := nb.Problems()
			if len(probs) != len(tc.want) {
				t.Fatalf("got %d problems %v, want %d (%q)", len(probs), probs, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.Contains(probs[i].Error(), w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, probs[i], w)
				}
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	nb, err := notebooks.Parse("t.ipynb", []byte(cellJSON(`
		{"output_type": "stream", "name": "stdout", "text": ["found ", "network\n"]},
		{"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0K\nGgo=\n"}},
		{"output_type": "display_data", "metadata": {}, "data": {"text/html": ["<b>", "table</b>"]}},
		{"output_type": "execute_result", "metadata": {}, "data": {"text/plain": "42", "application/json": {"a": 1}}}`)))
	if err != nil {
		t.Fatal(err)
	}
	if got := nb.Count("image/png"); got != 1 {
		t.Errorf("Count(image/png) = %d, want 1", got)
	}
	if got, want := nb.Text(), "found network\n<b>table</b>42"; got != want {
		t.Errorf("Text() = %q, want %q", got, want)
	}
	imgs, err := nb.Images("image/png")
	if err != nil || len(imgs) != 1 || string(imgs[0][1:4]) != "PNG" {
		t.Errorf("Images = %q, %v; want one PNG header", imgs, err)
	}
	if !nb.HasOutputs() || nb.Kernel() != "gonb" {
		t.Errorf("HasOutputs() = %v, Kernel() = %q; want true, gonb", nb.HasOutputs(), nb.Kernel())
	}
}

// TestCommitted checks the notebooks as committed: every one is in the
// suite, has no outputs, runs on the gonb kernel, uses the module of this
// checkout through a replace, and pins its seeds.
func TestCommitted(t *testing.T) {
	files, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range suite {
		names = append(names, e.file)
	}
	for _, f := range files {
		if !slices.Contains(names, f) {
			t.Errorf("%s is not in the test suite: add it to suite in notebooks_test.go", f)
		}
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			nb, err := notebooks.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if nb.HasOutputs() {
				t.Errorf("%s has outputs or execution counts: clear them before committing", name)
			}
			if k := nb.Kernel(); k != "gonb" {
				t.Errorf("%s kernel %q, want gonb", name, k)
			}
			var src strings.Builder
			for _, c := range nb.Cells {
				src.WriteString(c.Source.String())
				src.WriteString("\n")
			}
			for _, want := range []string{
				"go mod edit -replace github.com/trgnas/trgnas=${GONB_DIR}/..",
				"github.com/janpfeifer/gonb@v0.11.4",
				"seed",
			} {
				if !strings.Contains(strings.ToLower(src.String()), strings.ToLower(want)) {
					t.Errorf("%s does not contain %q", name, want)
				}
			}
		})
	}
}

// enabled reports whether the notebooks are to be executed, failing the
// test when they are asked for and the tools are missing.
func enabled(t *testing.T) {
	t.Helper()
	on := os.Getenv("TRGNAS_NOTEBOOK_TESTS") == "1"
	if !on {
		t.Skip("executing the notebooks takes minutes: run scripts/setup-notebooks.sh, then set TRGNAS_NOTEBOOK_TESTS=1")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := notebooks.CheckTools(ctx); err != nil {
		t.Fatalf("TRGNAS_NOTEBOOK_TESTS=1 but %v", err)
	}
}

// outDir is where executed notebooks go: $TRGNAS_NOTEBOOK_KEEP when set (to
// look at them), else a temporary folder.
func outDir(t *testing.T) string {
	if d := os.Getenv("TRGNAS_NOTEBOOK_KEEP"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestSmoke executes testdata/smoke.ipynb, whose third code cell panics:
// the harness must see the module's output, the PNG, the failure and the
// cell after it.
func TestSmoke(t *testing.T) {
	enabled(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nb, err := notebooks.Execute(ctx, "testdata/smoke.ipynb", filepath.Join(outDir(t), "smoke.ipynb"), 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	probs := nb.Problems()
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "cell 3: program failed") || !strings.Contains(probs[0].Error(), "deliberate failure") {
		t.Errorf("Problems() = %v, want exactly the panic of cell 3", probs)
	}
	want := "params " + strconv.Itoa(nasParams) + "\n"
	if txt := nb.Text(); !strings.Contains(txt, want) || !strings.Contains(txt, "after the failure") {
		t.Errorf("outputs lack %q or the cell after the failure:\n%s", want, txt)
	}
	if n := nb.Count("image/png"); n != 1 {
		t.Errorf("%d image/png outputs, want 1", n)
	}
}

// nasParams is nas.Uniform(56, 16, 0, 3).Params(3, 10), counted by hand:
// stem 3248; layer 0 (112->56) 7392; layers 1-4 (56) 4 x 3752; layer 5
// (56->112) 7000; layers 6-9 (112) 4 x 13776; layer 10 (112->224) 26544;
// layers 11-15 (224) 5 x 52640; classifier 2250.
const nasParams = 379746

// TestNotebooks executes every notebook of the suite and checks it ran
// clean and showed what it must. TRGNAS_NOTEBOOK_PARALLEL (default 1) runs
// that many at once.
func TestNotebooks(t *testing.T) {
	enabled(t)
	par := 1
	if v := os.Getenv("TRGNAS_NOTEBOOK_PARALLEL"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > runtime.NumCPU() {
			t.Fatalf("TRGNAS_NOTEBOOK_PARALLEL=%q: want 1..%d", v, runtime.NumCPU())
		}
		par = n
	}
	dir := outDir(t)
	work := t.TempDir()
	sem := make(chan struct{}, par)
	for _, e := range suite {
		t.Run(e.file, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), e.budget+time.Minute)
			defer cancel()
			start := time.Now()
			nb, err := notebooks.Execute(ctx, e.file, filepath.Join(dir, e.file), e.budget,
				"TRGNAS_NOTEBOOK_CI=1", "TRGNAS_NOTEBOOK_WORKDIR="+filepath.Join(work, strings.TrimSuffix(e.file, ".ipynb")))
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				t.Fatalf("%s: over its budget of %v", e.file, e.budget)
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %.1fs", e.file, time.Since(start).Seconds())
			for _, p := range nb.Problems() {
				t.Errorf("%s: %v", e.file, p)
			}
			// Setup cells say one line when they succeed: no stderr (which
			// Jupyter shows as a red block).
			for i, c := range nb.Cells {
				if c.Type != "code" || !strings.HasPrefix(c.Source.String(), "!*") {
					continue
				}
				for _, o := range c.Outputs {
					if o.Type == "stream" && o.Name == "stderr" {
						t.Errorf("%s: setup cell %d wrote to stderr: %q", e.file, i, last(o.Text.String(), 300))
					}
					if o.Type == "stream" && o.Name == "stdout" && !strings.HasPrefix(o.Text.String(), "module ready:") {
						t.Errorf("%s: setup cell %d said %q", e.file, i, last(o.Text.String(), 300))
					}
				}
			}
			// A live search view ends in its finished state, kept in the
			// saved notebook (one block, updated in place).
			if e.view {
				views := 0
				for _, c := range nb.Cells {
					for _, o := range c.Outputs {
						if h, ok := o.Data["text/html"]; ok && strings.Contains(h.String(), "search finished") {
							views++
						}
					}
				}
				if views != 1 {
					t.Errorf("%s: %d finished search views, want 1", e.file, views)
				}
			}
			txt := nb.Text()
			rest := txt
			for _, w := range e.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Errorf("%s: output lacks %q (in order)", e.file, w)
					continue
				}
				rest = rest[i+len(w):]
			}
			if n := nb.Count("image/png"); n < e.pngs {
				t.Errorf("%s: %d image/png outputs, want at least %d", e.file, n, e.pngs)
			}
			if t.Failed() {
				t.Logf("%s outputs:\n%s", e.file, txt)
			}
		})
	}
}

// TestSetupIdempotent runs scripts/setup-notebooks.sh on a machine where it
// has run before: every install step must be skipped, and the kernel must
// still be registered and found.
func TestSetupIdempotent(t *testing.T) {
	enabled(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../scripts/setup-notebooks.sh", "--no-check", "--no-ui")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("setup-notebooks.sh: %v\n%s", err, out)
	}
	for _, want := range []string{
		"[apt] Jupyter and dataset packages: jupyter-nbconvert python3-nbclient dataset-fashion-mnist\n",
		"already installed, skipping apt",
		"[goimports] golang.org/x/tools/cmd/goimports@v0.52.0\nsetup-notebooks:   already at v0.52.0, skipping",
		"[gopls] golang.org/x/tools/gopls@v0.23.0\nsetup-notebooks:   already at v0.23.0, skipping",
		"[gonb] github.com/janpfeifer/gonb@v0.11.4\nsetup-notebooks:   already at v0.11.4, skipping",
		"kernel spec: ",
		"done: ",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}
	if err := notebooks.CheckTools(ctx); err != nil {
		t.Errorf("after setup: %v", err)
	}
}

// TestSetupRejectsUnknownFlags checks the script's argument handling, which
// needs no installation.
func TestSetupRejectsUnknownFlags(t *testing.T) {
	out, err := exec.Command("bash", "../scripts/setup-notebooks.sh", "--bogus").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "unknown argument --bogus") {
		t.Errorf("setup-notebooks.sh --bogus: %v, %q; want exit status 2 naming the argument", err, out)
	}
}

// last is the end of s, at most n bytes.
func last(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
