// Package nb is what the project's notebooks share, so that their cells
// hold the experiment and not the plumbing: the budget switch of the
// notebook tests, the work folder, errors that stop a cell, and plots
// shown inline through GoNB.
package nb

import (
	"os"
	"path/filepath"

	"github.com/janpfeifer/gonb/gonbui"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/plots"
)

// CI reports whether the notebook runs under the notebook tests
// (TRGNAS_NOTEBOOK_CI=1), which give it a tiny budget.
func CI() bool { return os.Getenv("TRGNAS_NOTEBOOK_CI") == "1" }

// Dir is the folder of the notebook being run (GONB_DIR), "." outside GoNB.
func Dir() string {
	if d := os.Getenv("GONB_DIR"); d != "" {
		return d
	}
	return "."
}

// WorkDir is where a notebook writes its ledgers and data: the folder
// TRGNAS_NOTEBOOK_WORKDIR names, else work/ beside the notebook. It is
// created if missing.
func WorkDir() string {
	d := os.Getenv("TRGNAS_NOTEBOOK_WORKDIR")
	if d == "" {
		d = filepath.Join(Dir(), "work")
	}
	Check(os.MkdirAll(d, 0o755))
	return d
}

// Path is name in the work folder.
func Path(name string) string { return filepath.Join(WorkDir(), name) }

// Check stops the cell with err, if there is one.
func Check(err error) {
	if err != nil {
		panic(err)
	}
}

// Must returns v, or stops the cell with err.
func Must[T any](v T, err error) T {
	Check(err)
	return v
}

// Must2 returns v and u, or stops the cell with err.
func Must2[T, U any](v T, u U, err error) (T, U) {
	Check(err)
	return v, u
}

// Must3 returns v, u and w, or stops the cell with err.
func Must3[T, U, V any](v T, u U, w V, err error) (T, U, V) {
	Check(err)
	return v, u, w
}

// Show displays p inline as a PNG of w x h, and waits until GoNB has it
// (the cell's program may otherwise end first).
func Show(p *plot.Plot, w, h vg.Length) {
	gonbui.DisplayPNG(Must(plots.PNG(p, w, h)))
	gonbui.Sync()
}

// Images is how many of n images a recipe's limit takes (0: all of them).
func Images(limit, n int) int {
	if limit > 0 {
		return min(limit, n)
	}
	return n
}
