package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Two real searches started on one ledger: the second is refused at once,
// naming the ledger and the first one's pid, and trains nothing; so is a
// final step on it; no candidate is recorded twice. The first one's
// candidates take seconds each, so it is still training when the others
// start; it is killed after the checks (TestSearchSurvivesSIGKILL covers
// the resume).
func TestSecondSearchOnALedgerIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.jsonl")
	args := []string{"search", "-ledger", path, "-evaluator", "trainer", "-backend", "go", "-dataset", "synthetic",
		"-synth-n", "2000", "-synth-size", "8", "-epochs", "10", "-batch", "32",
		"-min-depth", "2", "-max-depth", "3", "-min-width", "4", "-max-width", "8", "-width-step", "4"}
	first, sc := startMain(t, args)
	started := false
	for sc.Scan() {
		if trainingLine.MatchString(sc.Text()) {
			started = true
			break
		}
	}
	if !started {
		first.Process.Kill()
		first.Wait()
		t.Fatal("the first search never started training")
	}
	out, errOut, code := runCmd(t, args...)
	pid := fmt.Sprintf("pid %d", first.Process.Pid)
	if code == 0 || !strings.Contains(errOut, path) || !strings.Contains(errOut, pid) || !strings.Contains(errOut, "locked") {
		t.Errorf("second search: exit %d, stderr %q", code, errOut)
	}
	if strings.Contains(out, ": training (") {
		t.Errorf("the refused search trained: %s", out)
	}
	if _, errOut, code := runCmd(t, "final", "-ledger", path, "-epochs", "1"); code == 0 || !strings.Contains(errOut, pid) {
		t.Errorf("final during the search: exit %d, stderr %q", code, errOut)
	}
	first.Process.Kill()
	first.Wait()
	keys := ledgerKeys(t, path)
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			t.Errorf("%s recorded twice", k)
		}
		seen[k] = true
	}
}
