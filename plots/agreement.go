package plots

import (
	"errors"
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/trgnas/trgnas/nas"
)

// Agreement summarises how two ledgers rank the same candidates.
type Agreement struct {
	Pairs     []nas.Pair // candidates in both, matched by Key (nas.MatchRecords)
	Unmatched int        // usable candidates in only one ledger
	Tau, Rho  float64    // Kendall's tau-b and Spearman's rho of the validation accuracies
}

// Agree matches the usable candidates of x and y by Key and computes
// Kendall's tau-b and Spearman's rho of their validation accuracies.
// Fewer than two matched candidates, or a ledger whose matched accuracies
// are all equal, is an error.
func Agree(x, y []nas.Record) (Agreement, error) {
	if len(x) == 0 || len(y) == 0 {
		return Agreement{}, ErrNoRecords
	}
	pairs, un := nas.MatchRecords(x, y)
	ag := Agreement{Pairs: pairs, Unmatched: un}
	if len(pairs) < 2 {
		return ag, fmt.Errorf("%w: %d candidates are in both ledgers (matched by key), need at least 2", ErrNoData, len(pairs))
	}
	a, b := make([]float64, len(pairs)), make([]float64, len(pairs))
	for i, p := range pairs {
		a[i], b[i] = p.A.Result.ValidAcc, p.B.Result.ValidAcc
	}
	var err error
	if ag.Tau, err = nas.KendallTau(a, b); err != nil {
		return ag, err
	}
	if ag.Rho, err = nas.Spearman(a, b); err != nil {
		return ag, err
	}
	return ag, nil
}

// AgreementPlot draws the candidates found in both ledgers (matched by
// Key) as a scatter of their validation accuracy in x (horizontal) and in
// y (vertical), styled by their stage and decision in y, with Kendall's
// tau-b and Spearman's rho in the title. Typically x is a short budget
// (a proxy) and y the full one.
func AgreementPlot(x, y []nas.Record, opt Options) (*plot.Plot, error) {
	ag, err := Agree(x, y)
	if err != nil && !errors.Is(err, nas.ErrRank) {
		return nil, err
	}
	stats := fmt.Sprintf("Kendall τ-b %.3f, Spearman ρ %.3f, %d matched", ag.Tau, ag.Rho, len(ag.Pairs))
	if err != nil {
		stats = fmt.Sprintf("rank correlation undefined (all accuracies equal in one ledger), %d matched", len(ag.Pairs))
	}
	if ag.Unmatched > 0 {
		stats += fmt.Sprintf(", %d in one ledger only", ag.Unmatched)
	}
	name := "Rank agreement of two budgets"
	if opt.Title != "" {
		name = opt.Title
	}
	dx, bx := budget(x)
	dy, by := budget(y)
	ds := dx
	if dx != dy {
		ds = "x: " + dx + "; y: " + dy
	}
	p := newPlot(name, Options{Title: name}, ds+"\n"+"x: "+bx+"; y: "+by+"\n"+stats)
	p.X.Label.Text = "best validation accuracy (%), " + bx
	p.Y.Label.Text = "best validation accuracy (%), " + by
	p.Y.Label.TextStyle.Font.Size = vg.Points(9)
	p.X.Label.TextStyle.Font.Size = vg.Points(9)
	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: lightGrey, Width: vg.Points(0.5)}
	grid.Horizontal = grid.Vertical
	p.Add(grid)
	items := make([]item, len(ag.Pairs))
	var xs, ys []float64
	for i, pr := range ag.Pairs {
		items[i] = item{pr.B, pr.A.Result.ValidAcc, pr.B.Result.ValidAcc}
		xs, ys = append(xs, items[i].x), append(ys, items[i].y)
	}
	final := opt.Final
	if final == "" {
		if f, err := Final(y); err == nil {
			final = f.Key
		}
	}
	lg := &legend{prefer: []corner{topLeft, topRight, bottomRight, bottomLeft}}
	if err := addPoints(p, items, final, lg); err != nil {
		return nil, err
	}
	p.Add(lg)
	xlo, xhi := minMax(xs)
	ylo, yhi := minMax(ys)
	xs0, ys0 := xhi-xlo, yhi-ylo
	if xs0 <= 0 {
		xs0 = 1
	}
	if ys0 <= 0 {
		ys0 = 1
	}
	p.X.Min, p.X.Max = accuracyAxis(xlo-0.05*xs0, xhi+0.12*xs0, xhi)
	p.Y.Min, p.Y.Max = accuracyAxis(ylo-0.05*ys0, yhi+0.75*ys0, yhi)
	return p, nil
}
