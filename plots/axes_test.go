package plots_test

import (
	"testing"

	"gonum.org/v1/plot"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/plots"
)

// highAccuracy is synthetic() moved up to accuracies of 99.x to 100, where
// the room the plots keep beside the data once ran past 100.
func highAccuracy() []nas.Record {
	recs := synthetic()
	for i := range recs {
		r := &recs[i].Result
		r.ValidAcc, r.TrainAcc = 0, 0
		for e := range r.Curve {
			ep := &r.Curve[e]
			ep.ValidAcc = min(99.9, 99.2+0.7*ep.ValidAcc/98.5) - 0.3*float64(i)
			ep.TrainAcc = min(100, 99.5+0.5*ep.TrainAcc/99)
			r.ValidAcc, r.TrainAcc = max(r.ValidAcc, ep.ValidAcc), max(r.TrainAcc, ep.TrainAcc)
		}
	}
	return recs
}

func TestAccuracyAxesStopAt100(t *testing.T) {
	recs := highAccuracy()
	longer := highAccuracy()
	for i := range longer {
		longer[i].Result.ValidAcc -= 0.1 * float64(i)
	}
	check := func(name string, p *plot.Plot, err error, axes ...*plot.Axis) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, a := range axes {
			if a.Max > 100 || a.Min >= a.Max {
				t.Errorf("%s: accuracy axis %.3f..%.3f", name, a.Min, a.Max)
			}
		}
		if _, err := plots.PNG(p, 500, 400); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	p, err := plots.Ranking(recs, plots.Options{})
	check("ranking", p, err, &p.X)
	p, err = plots.Curves(recs, plots.Options{})
	check("curves", p, err, &p.Y)
	p, err = plots.Trajectory(recs, plots.Options{})
	check("trajectory", p, err, &p.Y)
	p, err = plots.Tradeoff(recs, plots.Params, plots.Options{})
	check("tradeoff", p, err, &p.Y)
	p, err = plots.AgreementPlot(recs, longer, plots.Options{})
	check("agreement", p, err, &p.X, &p.Y)
}
