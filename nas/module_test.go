package nas_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUserModule builds and runs a program of a module outside this
// repository that requires GoMLX v0.28.2 and trgnas (a replace directive
// points at this checkout): it imports the search, the trainer and the
// plots, runs a one-candidate search on the synthetic set and a GoMLX graph
// of its own on the same backend.
func TestUserModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with GoMLX: not in -short")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	prog, err := os.ReadFile("testdata/usermodule/main.go.txt")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod := "module example.com/user\n\ngo 1.26.5\n\nrequire (\n\tgithub.com/gomlx/gomlx v0.28.2\n\tgithub.com/trgnas/trgnas v0.0.0\n)\n\n" +
		"replace github.com/trgnas/trgnas => " + root + "\n"
	for name, b := range map[string][]byte{"go.mod": []byte(mod), "go.sum": sum, "main.go": prog} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gocmd := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	gocmd("mod", "tidy")
	if v := strings.TrimSpace(gocmd("list", "-m", "-f", "{{.Version}}", "github.com/gomlx/gomlx")); v != "v0.28.2" {
		t.Fatalf("the user's module resolves gomlx %s, want v0.28.2", v)
	}
	out := gocmd("run", ".", dir)
	if !strings.Contains(out, "backend gofill sum 6") || !strings.Contains(out, "candidate w8-o00-k33") {
		t.Errorf("program output:\n%s", out)
	}
	if fi, err := os.Stat(filepath.Join(dir, "ranking.png")); err != nil || fi.Size() < 1000 {
		t.Errorf("ranking.png: %v", err)
	}
}
