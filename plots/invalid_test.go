package plots_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/plots"
)

// every returns all plots of recs by name, with the error of each.
func every(recs []nas.Record, opt plots.Options) map[string]func() (*plot.Plot, error) {
	return map[string]func() (*plot.Plot, error){
		"ranking":         func() (*plot.Plot, error) { return plots.Ranking(recs, opt) },
		"tradeoff-params": func() (*plot.Plot, error) { return plots.Tradeoff(recs, plots.Params, opt) },
		"tradeoff-macs":   func() (*plot.Plot, error) { return plots.Tradeoff(recs, plots.MACs, opt) },
		"trajectory":      func() (*plot.Plot, error) { return plots.Trajectory(recs, opt) },
		"curves":          func() (*plot.Plot, error) { return plots.Curves(recs, opt) },
		"loss":            func() (*plot.Plot, error) { return plots.LossCurves(recs, opt) },
		"agreement":       func() (*plot.Plot, error) { return plots.AgreementPlot(recs, recs, opt) },
	}
}

func TestEmptyLedger(t *testing.T) {
	for name, f := range every(nil, plots.Options{}) {
		if _, err := f(); !errors.Is(err, plots.ErrNoRecords) {
			t.Errorf("%s: err = %v, want ErrNoRecords", name, err)
		}
	}
	if _, err := plots.WriteAll(nil, t.TempDir(), plots.Options{}); !errors.Is(err, plots.ErrNoRecords) {
		t.Errorf("WriteAll: err = %v, want ErrNoRecords", err)
	}
	if _, err := plots.Final(nil); !errors.Is(err, plots.ErrNoRecords) {
		t.Errorf("Final: err = %v, want ErrNoRecords", err)
	}
}

func TestNoUsableRecord(t *testing.T) {
	recs := synthetic()
	recs[0].Result.ValidAcc = math.NaN()
	recs[1].Result.ValidAcc = math.Inf(1)
	recs[2].Result.Failed = true
	for name, f := range every(recs, plots.Options{}) {
		if _, err := f(); !errors.Is(err, plots.ErrNoData) {
			t.Errorf("%s: err = %v, want ErrNoData", name, err)
		}
	}
}

// Failed and NaN records are left out, the subtitle counts them, and what
// remains draws.
func TestFailedAndNaNLeftOut(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	recs[3].Result.ValidAcc = math.NaN()
	recs[5].Result.Failed = true
	recs[5].Result.Error = "loss is NaN at epoch 3"
	recs[7].Result.Curve[2].ValidAcc = math.NaN()
	recs[6].Result.Curve[4].TrainAcc = math.Inf(-1) // #6 is a curve drawn by default
	for name, f := range every(recs, plots.Options{}) {
		if name == "loss" {
			continue // the published log has no losses
		}
		p, err := f()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := "44 candidates (2 failed or NaN, not shown)"
		if name == "trajectory" {
			want = "44 candidates (2 failed or NaN, marked ×)"
		}
		if name != "curves" && name != "agreement" && !strings.Contains(p.Title.Text, want) {
			t.Errorf("%s: title %q does not count the 2 records left out", name, p.Title.Text)
		}
		if _, err := plots.PNG(p, 5*vg.Inch, 4*vg.Inch); err != nil {
			t.Errorf("%s: PNG: %v", name, err)
		}
	}
}

func TestMissingParams(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	recs[0].Result.Params = 0
	recs[1].Result.Params = -5
	p, err := plots.Tradeoff(recs, plots.Params, plots.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p.Title.Text, "2 without params not shown") {
		t.Errorf("title %q does not count the candidates without params", p.Title.Text)
	}
	for i := range recs {
		recs[i].Result.MACs = 0
	}
	if _, err := plots.Tradeoff(recs, plots.MACs, plots.Options{}); !errors.Is(err, plots.ErrNoData) || !strings.Contains(err.Error(), "no candidate has macs") {
		t.Errorf("all MACs missing: err = %v, want ErrNoData naming macs", err)
	}
	if _, err := plots.Tradeoff(recs, plots.Cost(7), plots.Options{}); err == nil {
		t.Error("unknown cost: no error")
	}
}

func TestBadOptions(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	_, err := plots.Ranking(recs, plots.Options{Final: "w1-o0-k3"})
	if err == nil || !strings.Contains(err.Error(), `Options.Final "w1-o0-k3"`) {
		t.Errorf("unknown final: err = %v", err)
	}
	_, err = plots.Curves(recs, plots.Options{Keys: []string{recs[0].Key, "nope"}})
	if err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown curve key: err = %v", err)
	}
	p, _ := plots.Ranking(recs, plots.Options{})
	for _, sz := range [][2]vg.Length{{0, 100}, {100, -1}, {vg.Length(math.NaN()), 100}, {vg.Length(math.Inf(1)), 100}} {
		if _, err := plots.PNG(p, sz[0], sz[1]); err == nil {
			t.Errorf("PNG size %v: no error", sz)
		}
		if _, err := plots.SVG(p, sz[0], sz[1]); err == nil {
			t.Errorf("SVG size %v: no error", sz)
		}
	}
	if _, err := plots.PNG(nil, 100, 100); err == nil {
		t.Error("PNG(nil): no error")
	}
}

// Degenerate ledgers draw without panicking: one candidate, all accuracies
// equal, nothing accepted, duplicate keys, stages not of the published run.
func TestDegenerateLedgers(t *testing.T) {
	one := synthetic()[:1]
	equal := synthetic()
	nothing := synthetic()
	for i := range equal {
		equal[i].Result.ValidAcc = 90
		nothing[i].Accepted = false
	}
	dup := append(synthetic(), synthetic()...)
	odd := synthetic()
	odd[1].Stage = "joint"
	odd[2].Stage = ""
	for _, tc := range []struct {
		name string
		recs []nas.Record
	}{{"one", one}, {"equal", equal}, {"nothing accepted", nothing}, {"duplicate keys", dup}, {"odd stages", odd}} {
		for name, f := range every(tc.recs, plots.Options{}) {
			p, err := f()
			if name == "agreement" && tc.name == "one" {
				if !errors.Is(err, plots.ErrNoData) {
					t.Errorf("%s/%s: err = %v, want ErrNoData (one pair)", tc.name, name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s/%s: %v", tc.name, name, err)
				continue
			}
			if _, err := plots.PNG(p, 5*vg.Inch, 4*vg.Inch); err != nil {
				t.Errorf("%s/%s: PNG: %v", tc.name, name, err)
			}
		}
	}
	if _, err := plots.Final(nothing); !errors.Is(err, plots.ErrNoFinal) {
		t.Errorf("Final with nothing accepted: err = %v, want ErrNoFinal", err)
	}
	if w := plots.Winners(nothing); len(w) != 1 || w[0].Seq != 0 {
		t.Errorf("Winners with nothing accepted = %v, want the best candidate (#0)", w)
	}
	ag, err := plots.Agree(equal, synthetic())
	if !errors.Is(err, nas.ErrRank) || len(ag.Pairs) != 3 {
		t.Errorf("Agree with constant accuracies: %d pairs, err %v, want 3 pairs and ErrRank", len(ag.Pairs), err)
	}
}

func TestFinalAndWinners(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	f, err := plots.Final(recs)
	if err != nil {
		t.Fatal(err)
	}
	// The published final network: depth 16, width 56, ops [1 0 1 0 ...].
	if f.Seq != 18 || f.Result.Params != 453498 || f.Key != "w56-o1010000000000000-k3333333333333333" {
		t.Errorf("Final = #%d %s %d params", f.Seq, f.Key, f.Result.Params)
	}
	// A later failed acceptance does not count.
	recs[40].Accepted, recs[40].Result.Failed = true, true
	if f2, _ := plots.Final(recs); f2.Seq != 18 {
		t.Errorf("Final with a failed later acceptance = #%d, want #18", f2.Seq)
	}
	var seqs []int
	for _, w := range plots.Winners(recs) {
		seqs = append(seqs, w.Seq)
	}
	if len(seqs) != 3 || seqs[0] != 6 || seqs[1] != 14 || seqs[2] != 18 {
		t.Errorf("Winners = %v, want [6 14 18] (kernel stage accepted none)", seqs)
	}
}

func TestAgree(t *testing.T) {
	long := readLedger(t, "searchlog.jsonl")
	short := readLedger(t, "searchlog-e31.jsonl")
	ag, err := plots.Agree(short, long)
	if err != nil {
		t.Fatal(err)
	}
	if len(ag.Pairs) != 46 || ag.Unmatched != 0 {
		t.Errorf("%d pairs, %d unmatched, want 46 and 0", len(ag.Pairs), ag.Unmatched)
	}
	// Computed apart with the tie-group form of tau-b,
	// (C - D) / sqrt((n0 - sum t(t-1)/2 over x's tie groups) * (n0 - same for y)),
	// and the Pearson correlation of average ranks; the epoch-30 scores
	// have 1 tied pair, the final ones 14.
	if math.Abs(ag.Tau-(-0.04476975227044968)) > 1e-12 || math.Abs(ag.Rho-(-0.07448319568963589)) > 1e-12 {
		t.Errorf("tau %.17g rho %.17g, want -0.04476975227044968 -0.07448319568963589", ag.Tau, ag.Rho)
	}
	// Against itself the ranking agrees perfectly.
	self, err := plots.Agree(long, long)
	if err != nil || self.Tau != 1 || self.Rho != 1 {
		t.Errorf("self agreement tau %g rho %g err %v, want 1 1", self.Tau, self.Rho, err)
	}
	// Reversed accuracies disagree perfectly.
	rev := readLedger(t, "searchlog.jsonl")
	for i := range rev {
		rev[i].Result.ValidAcc = -rev[i].Result.ValidAcc
	}
	inv, err := plots.Agree(long, rev)
	if err != nil || math.Abs(inv.Tau+1) > 1e-12 || math.Abs(inv.Rho+1) > 1e-12 {
		t.Errorf("reversed agreement tau %g rho %g err %v, want -1 -1", inv.Tau, inv.Rho, err)
	}
}

func TestSpeculativeLeftOut(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	spec := recs[3]
	spec.Seq, spec.Speculative, spec.Accepted = -1, true, true
	spec.Key = "w60-o0000000000000000-k3333333333333333"
	spec.Result.ValidAcc = 99.9 // would top the ranking and be "final" if it counted
	with := append(append([]nas.Record(nil), recs...), spec)
	f, err := plots.Final(with)
	if err != nil || f.Key != recs[18].Key {
		t.Fatalf("Final with a speculative record: %v %v, want #18", f.Key, err)
	}
	for name, fn := range every(with, plots.Options{}) {
		if name == "loss" || name == "agreement" || name == "curves" {
			continue
		}
		p, err := fn()
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !strings.Contains(p.Title.Text, "46 candidates") || strings.Contains(p.Title.Text, "not shown") {
			t.Errorf("%s: title %q counts the speculative record", name, p.Title.Text)
		}
	}
}
