package plots_test

import (
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/plots"
)

func TestTradeoffGolden(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	for _, c := range []plots.Cost{plots.Params, plots.MACs} {
		p, err := plots.Tradeoff(recs, c, plots.Options{})
		if err != nil {
			t.Fatal(err)
		}
		checkGolden(t, "tradeoff-"+c.String(), p, 7*vg.Inch, 5*vg.Inch)
	}
}

// The accuracy axis stops at 100, and final records are drawn at their
// test accuracy (the axis reaches down to a final below every candidate).
func TestTradeoffAxisAndFinals(t *testing.T) {
	recs := synthetic() // validation accuracies near 98
	p, err := plots.Tradeoff(recs, plots.Params, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Max > 100 {
		t.Errorf("accuracy axis runs to %.2f", p.Y.Max)
	}
	lowest := p.Y.Min
	f := nas.FinalRecord{Role: nas.RoleFound, Result: recs[0].Result}
	f.Result.TestAcc = lowest - 5
	for _, cost := range []plots.Cost{plots.Params, plots.MACs} {
		p, err = plots.Tradeoff(recs, cost, plots.Options{Finals: []nas.FinalRecord{f}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Y.Min > f.Result.TestAcc || p.Y.Max > 100 {
			t.Errorf("%s: axis %.2f..%.2f does not show the final at %.2f", cost, p.Y.Min, p.Y.Max, f.Result.TestAcc)
		}
		if _, err := plots.PNG(p, 500, 400); err != nil {
			t.Error(err)
		}
	}
}
