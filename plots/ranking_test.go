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

// Ranking stays readable with many candidates: 92 rows (the published
// search and its epoch-30 scores as a second set of candidates).
func TestRankingManyGolden(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	for _, r := range readLedger(t, "searchlog-e31.jsonl") {
		r.Seq += 46
		r.Result.ValidAcc = 93 + (r.Result.ValidAcc-75)/5 // bring them into the same range
		recs = append(recs, r)
	}
	p, err := plots.Ranking(recs, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "ranking-92", p, 7*vg.Inch, plots.RankingHeight(len(recs)))
}
