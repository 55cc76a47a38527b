package nas_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/trgnas/trgnas/nas"
)

// The expected values below are computed by hand; the comments show the
// counts (concordant C, discordant D, pairs n0, ties tx, ty) and the ranks.
func TestRankCorrelations(t *testing.T) {
	tests := []struct {
		name     string
		x, y     []float64
		tau, rho float64
	}{
		{"identical", []float64{1, 2, 3, 4, 5}, []float64{1, 2, 3, 4, 5}, 1, 1},
		{"reversed", []float64{1, 2, 3, 4, 5}, []float64{50, 40, 30, 20, 10}, -1, -1},
		// C=5 D=1 n0=6: tau=4/6; d=(0,1,1,0), rho=1-6*2/(4*15)=0.8.
		{"one swap", []float64{1, 2, 3, 4}, []float64{1, 3, 2, 4}, 4.0 / 6, 0.8},
		// C=1 D=2: tau=-1/3; d=(-2,1,1), rho=1-6*6/(3*8)=-0.5.
		{"rotation", []float64{1, 2, 3}, []float64{3, 1, 2}, -1.0 / 3, -0.5},
		// C=4 D=0 n0=6 tx=1 ty=1: tau_b=4/sqrt(5*5)=0.8.
		// ranks x=(1,2.5,2.5,4), y=(1,2,3.5,3.5): rho=3.75/4.5.
		{"ties in x and y", []float64{1, 2, 2, 3}, []float64{1, 2, 3, 3}, 0.8, 3.75 / 4.5},
		// The pair (0,1) is tied in both: C=2 D=0 n0=3 tx=ty=1: tau_b=2/2.
		{"pair tied in both", []float64{1, 1, 2}, []float64{5, 5, 6}, 1, 1},
		// C=3 D=1 n0=6 tx=2 (x ties 0-1, 2-3) ty=0: tau_b=2/sqrt(4*6).
		// ranks x=(1.5,1.5,3.5,3.5), y=(1,3,2,4), centred (-1,-1,1,1) and
		// (-1.5,.5,-.5,1.5): rho=2/sqrt(4*5).
		{"two tie groups", []float64{1, 1, 2, 2}, []float64{1, 3, 2, 4}, 2 / math.Sqrt(24), 2 / math.Sqrt(20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tau, err := nas.KendallTau(tc.x, tc.y)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(tau-tc.tau) > 1e-12 {
				t.Errorf("KendallTau = %.15g, want %.15g", tau, tc.tau)
			}
			rho, err := nas.Spearman(tc.x, tc.y)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(rho-tc.rho) > 1e-12 {
				t.Errorf("Spearman = %.15g, want %.15g", rho, tc.rho)
			}
			// Both statistics are symmetric in x and y.
			tau2, _ := nas.KendallTau(tc.y, tc.x)
			rho2, _ := nas.Spearman(tc.y, tc.x)
			if math.Abs(tau2-tau) > 1e-12 || math.Abs(rho2-rho) > 1e-12 {
				t.Errorf("not symmetric: tau %g/%g rho %g/%g", tau, tau2, rho, rho2)
			}
		})
	}
}

// With ties, a sample against itself gives exactly 1 (no rounding).
func TestRankSelfExact(t *testing.T) {
	x := []float64{95.5, 96, 95.5, 94, 96, 96, 93}
	if tau, err := nas.KendallTau(x, x); err != nil || tau != 1 {
		t.Errorf("KendallTau(x, x) = %.17g, %v", tau, err)
	}
	if rho, err := nas.Spearman(x, x); err != nil || rho != 1 {
		t.Errorf("Spearman(x, x) = %.17g, %v", rho, err)
	}
}

func TestRanks(t *testing.T) {
	tests := []struct {
		x, want []float64
	}{
		{[]float64{10, 20, 20, 30}, []float64{1, 2.5, 2.5, 4}},
		{[]float64{3, 1, 2}, []float64{3, 1, 2}},
		{[]float64{7, 7, 7}, []float64{2, 2, 2}},
		{[]float64{96.01, 95.5, 96.01, 95.5, 94}, []float64{4.5, 2.5, 4.5, 2.5, 1}},
		{nil, []float64{}},
	}
	for _, tc := range tests {
		if got := nas.Ranks(tc.x); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Ranks(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}

func TestRankErrors(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want string
	}{
		{"lengths", []float64{1, 2}, []float64{1}, "2 x values but 1 y values"},
		{"too few", []float64{1}, []float64{1}, "1 pairs, need at least 2"},
		{"nan", []float64{1, math.NaN()}, []float64{1, 2}, "x[1] = NaN"},
		{"inf", []float64{1, 2}, []float64{math.Inf(1), 2}, "y[0] = +Inf"},
		{"constant", []float64{1, 1, 1}, []float64{1, 2, 3}, "constant"},
	}
	for _, tc := range tests {
		for _, f := range []struct {
			name string
			fn   func(x, y []float64) (float64, error)
		}{{"KendallTau", nas.KendallTau}, {"Spearman", nas.Spearman}} {
			_, err := f.fn(tc.x, tc.y)
			if !errors.Is(err, nas.ErrRank) || !contains(err.Error(), tc.want) {
				t.Errorf("%s %s: err = %v, want ErrRank mentioning %q", f.name, tc.name, err, tc.want)
			}
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func rec(seq int, key string, acc float64) nas.Record {
	return nas.Record{Seq: seq, Key: key, Result: nas.Result{ValidAcc: acc}}
}

func TestMatchRecords(t *testing.T) {
	a := []nas.Record{rec(0, "k1", 90), rec(1, "k2", 91), rec(2, "k3", 92), rec(3, "k1", 93), rec(4, "only-a", 80)}
	failed := rec(3, "k4", 70)
	failed.Result.Failed = true
	b := []nas.Record{rec(0, "k3", 60), rec(1, "k2", 61), rec(2, "k1", 62), failed, rec(5, "k5", math.NaN())}
	a = append(a, rec(9, "k4", 95))
	pairs, unmatched := nas.MatchRecords(a, b)
	var got []string
	for _, p := range pairs {
		got = append(got, fmt.Sprintf("%s:%g/%g", p.Key, p.A.Result.ValidAcc, p.B.Result.ValidAcc))
	}
	want := []string{"k1:93/62", "k2:91/61", "k3:92/60"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pairs = %v, want %v", got, want)
	}
	// only-a and k4 (failed in b) are in a only; k5 (NaN) is not usable.
	if unmatched != 2 {
		t.Errorf("unmatched = %d, want 2", unmatched)
	}
}

func ExampleKendallTau() {
	// Validation accuracy of five candidates after 1 and after 10 epochs.
	short := []float64{61.2, 58.0, 58.0, 63.5, 55.1}
	long := []float64{90.1, 89.7, 90.4, 91.0, 88.2}
	tau, _ := nas.KendallTau(short, long)
	rho, _ := nas.Spearman(short, long)
	fmt.Printf("tau-b %.3f rho %.3f\n", tau, rho)
	// Output:
	// tau-b 0.738 rho 0.821
}

func TestSpread(t *testing.T) {
	var ds []nas.Decision
	for i, acc := range []float64{80, 95, 70, 90, 85, 60, 75, 95} {
		a := nas.Uniform(8, 2+i, nas.OpSepConv, 3)
		if i == 7 {
			a = ds[1].Arch // the same network again counts once
		}
		ds = append(ds, nas.Decision{Seq: i, Arch: a, Result: nas.Result{ValidAcc: acc}})
	}
	ds = append(ds, nas.Decision{Seq: 8, Arch: nas.Uniform(8, 20, 0, 3), Result: nas.Result{ValidAcc: 99, Failed: true}})
	accs := func(ds []nas.Decision) []float64 {
		var out []float64
		for _, d := range ds {
			out = append(out, d.Result.ValidAcc)
		}
		return out
	}
	for _, tc := range []struct {
		n    int
		want []float64
	}{
		{3, []float64{95, 80, 60}},
		{4, []float64{95, 85, 75, 60}},
		{1, []float64{95}},
		{0, []float64{95, 90, 85, 80, 75, 70, 60}},
		{20, []float64{95, 90, 85, 80, 75, 70, 60}},
	} {
		if got := accs(nas.Spread(ds, tc.n)); !slices.Equal(got, tc.want) {
			t.Errorf("Spread(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}
