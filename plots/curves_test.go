package plots_test

import (
	"math"
	"testing"
	"time"

	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/plots"
)

// synthetic returns records with complete, smooth 30-epoch curves (loss
// included), made from fixed formulas.
func synthetic() []nas.Record {
	archs := []nas.Arch{nas.Uniform(16, 10, 0, 3), nas.Uniform(12, 10, 0, 3), nas.Uniform(12, 10, 0, 3)}
	archs[2].Ops[0] = 1
	stages := []nas.Stage{nas.StageDepth, nas.StageWidth, nas.StageOperation}
	var recs []nas.Record
	for i, a := range archs {
		rc := nas.DefaultRecipe()
		rc.Epochs = 30
		r := nas.Record{Seq: i, Key: a.Key(), Stage: stages[i], Accepted: true, Recipe: rc, Dataset: "mnist",
			Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		r.Result.Arch = a
		r.Result.Params = a.Params(1, 10)
		r.Result.MACs = a.MACs(28, 28, 1, 10)
		k := 3 + float64(i)
		for e := 0; e < rc.Epochs; e++ {
			f := math.Exp(-float64(e) / k)
			ep := nas.Epoch{Epoch: e, TrainAcc: 99 - 80*f - 0.3*float64(i), ValidAcc: 98.5 - 78*f - 0.5*float64(i) + 0.2*math.Sin(float64(e)),
				TrainLoss: 2.2*f + 0.02, ValidLoss: 2.1*f + 0.05 + 0.01*float64(i)}
			r.Result.Curve = append(r.Result.Curve, ep)
			r.Result.ValidAcc = math.Max(r.Result.ValidAcc, ep.ValidAcc)
			r.Result.TrainAcc = math.Max(r.Result.TrainAcc, ep.TrainAcc)
		}
		recs = append(recs, r)
	}
	return recs
}

func TestCurvesGolden(t *testing.T) {
	tests := []struct {
		name string
		recs []nas.Record
		loss bool
	}{
		{"curves-searchlog", readLedger(t, "searchlog.jsonl"), false},
		{"curves-synthetic", synthetic(), false},
		{"loss-synthetic", synthetic(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := plots.Curves
			if tc.loss {
				f = plots.LossCurves
			}
			p, err := f(tc.recs, plots.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, p, 7*vg.Inch, 5*vg.Inch)
		})
	}
}
