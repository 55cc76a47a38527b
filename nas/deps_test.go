package nas_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The search, its ledger, its runner, replay, the plots and the Slurm evaluator need no GoMLX: only
// nas/train and the backend link it.
func TestNoGoMLXOutsideTraining(t *testing.T) {
	pkgs := []string{"github.com/trgnas/trgnas/nas", "github.com/trgnas/trgnas/nas/ledger", "github.com/trgnas/trgnas/nas/runner", "github.com/trgnas/trgnas/nas/replay", "github.com/trgnas/trgnas/plots", "github.com/trgnas/trgnas/nas/slurm"}
	out, err := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps printed %d packages", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/gomlx/") {
			t.Errorf("%v depend on %s", pkgs, d)
		}
	}
}
