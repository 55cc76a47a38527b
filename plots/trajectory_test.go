package plots_test

import (
	"math"
	"strings"
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

// Failed candidates are crosses below the data, in their stage's band.
func TestTrajectoryFailedGolden(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	recs[3].Result.Failed, recs[3].Result.ValidAcc = true, 0
	recs[20].Result.ValidAcc = math.NaN()
	recs[45].Result.Failed = true // the last one: the x range still covers it
	p, err := plots.Trajectory(recs, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Title.Text, "43 candidates (3 failed or NaN, marked ×)") {
		t.Errorf("title %q", p.Title.Text)
	}
	checkGolden(t, "trajectory-failed", p, 7*vg.Inch, 5*vg.Inch)
}

// At a smaller size the data leave no room in the top left corner: the
// legend moves to the top right instead of covering points.
func TestTrajectorySmallGolden(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	p, err := plots.Trajectory(recs, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "trajectory-small", p, 5*vg.Inch, 3.5*vg.Inch)
}
