// Package slurmtest gives tests the single-node Slurm cluster that the
// repository's scripts/slurm-local.sh starts (or finds running) on this
// machine. Without Slurm the calling test is skipped, unless
// TRGNAS_SLURM_TESTS=1 (as .ci/run sets), which makes it fail instead.
package slurmtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// start runs "scripts/slurm-local.sh start" once per test binary and
// returns the value of the SLURM_CONF it printed.
var start = sync.OnceValues(func() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	if _, err := exec.LookPath("bash"); err != nil {
		return "", err
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "slurm-local.sh"), "start")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/slurm-local.sh start: %v\n%s", err, stderr.String())
	}
	for l := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "export SLURM_CONF="); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("scripts/slurm-local.sh start printed no SLURM_CONF line: %q", out)
})

// repoRoot is the nearest folder above the working directory (a package's
// folder under go test) that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Conf returns the SLURM_CONF of the running cluster, starting it if
// needed, or skips the test (fails it under TRGNAS_SLURM_TESTS=1) when no
// cluster can be had.
func Conf(t testing.TB) string {
	t.Helper()
	conf, err := start()
	if err != nil {
		if os.Getenv("TRGNAS_SLURM_TESTS") == "1" {
			t.Fatalf("TRGNAS_SLURM_TESTS=1 but no Slurm cluster: %v", err)
		}
		t.Skipf("no Slurm cluster (set TRGNAS_SLURM_TESTS=1 to make this a failure): %v", err)
	}
	return conf
}
