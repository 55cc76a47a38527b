package nb_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/trgnas/trgnas/notebooks/nb"
)

func TestWorkDirAndPath(t *testing.T) {
	d := filepath.Join(t.TempDir(), "w", "x")
	t.Setenv("TRGNAS_NOTEBOOK_WORKDIR", d)
	if got := nb.WorkDir(); got != d {
		t.Errorf("WorkDir %q, want %q", got, d)
	}
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		t.Errorf("WorkDir not created: %v", err)
	}
	if got := nb.Path("l.jsonl"); got != filepath.Join(d, "l.jsonl") {
		t.Errorf("Path %q", got)
	}
	t.Setenv("TRGNAS_NOTEBOOK_WORKDIR", "")
	g := t.TempDir()
	t.Setenv("GONB_DIR", g)
	if got := nb.WorkDir(); got != filepath.Join(g, "work") || nb.Dir() != g {
		t.Errorf("WorkDir %q, Dir %q under GONB_DIR %q", got, nb.Dir(), g)
	}
}

func TestCI(t *testing.T) {
	t.Setenv("TRGNAS_NOTEBOOK_CI", "1")
	if !nb.CI() {
		t.Error("CI false with TRGNAS_NOTEBOOK_CI=1")
	}
	t.Setenv("TRGNAS_NOTEBOOK_CI", "")
	if nb.CI() {
		t.Error("CI true without TRGNAS_NOTEBOOK_CI")
	}
}

func TestMustStopsTheCell(t *testing.T) {
	if v, u, w := nb.Must3(1, "a", 2.5, nil); v != 1 || u != "a" || w != 2.5 || nb.Must(7, nil) != 7 {
		t.Error("values not passed through")
	}
	boom := errors.New("boom")
	defer func() {
		if r := recover(); r != boom {
			t.Errorf("recovered %v, want the error", r)
		}
	}()
	nb.Must2(1, 2, boom)
	t.Error("Must2 returned on an error")
}

func TestImages(t *testing.T) {
	for _, c := range []struct{ limit, n, want int }{{0, 600, 600}, {100, 600, 100}, {1000, 600, 600}} {
		if got := nb.Images(c.limit, c.n); got != c.want {
			t.Errorf("Images(%d, %d) = %d, want %d", c.limit, c.n, got, c.want)
		}
	}
}
