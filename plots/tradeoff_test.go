package plots_test

import (
	"testing"

	"gonum.org/v1/plot/vg"

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
