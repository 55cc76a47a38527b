package plots_test

import (
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/plots"
)

func TestTrajectoryGolden(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	p, err := plots.Trajectory(recs, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "trajectory", p, 7*vg.Inch, 5*vg.Inch)
}
