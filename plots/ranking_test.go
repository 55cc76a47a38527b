package plots_test

import (
	"testing"

	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/plots"
)

func TestRankingGolden(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	p, err := plots.Ranking(recs, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "ranking", p, 7*vg.Inch, plots.RankingHeight(len(recs)))
}
