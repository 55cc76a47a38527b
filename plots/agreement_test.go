package plots_test

import (
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/plots"
)

func TestAgreementGolden(t *testing.T) {
	long := readLedger(t, "searchlog.jsonl")
	short := readLedger(t, "searchlog-e31.jsonl")
	p, err := plots.AgreementPlot(short, long, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "agreement", p, 7*vg.Inch, 5*vg.Inch)
}
