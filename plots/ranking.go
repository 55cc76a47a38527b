package plots

import (
	"fmt"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/trgnas/trgnas/nas"
)

// RankingHeight is a height at which Ranking stays readable for n
// candidates: a tenth of an inch and a half per row plus room for the
// title and axis, at least 4 inches.
func RankingHeight(n int) vg.Length {
	h := vg.Inch*1.4 + vg.Length(n)*vg.Inch*0.15
	if h < 4*vg.Inch {
		h = 4 * vg.Inch
	}
	return h
}

// Ranking draws every usable candidate as one row, sorted by validation
// accuracy (best at the top; ties by Seq), coloured and shaped by stage,
// filled when accepted, with the final network circled. Rows are labelled
// with Label. Draw it RankingHeight(n) tall.
func Ranking(recs []nas.Record, opt Options) (*plot.Plot, error) {
	pr, err := prepare(recs, opt)
	if err != nil {
		return nil, err
	}
	rs := bySeq(pr.recs)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Result.ValidAcc > rs[j].Result.ValidAcc })
	n := len(rs)
	items := make([]item, n)
	ticks := make([]plot.Tick, n)
	for i, r := range rs {
		y := float64(n - 1 - i)
		items[i] = item{r, r.Result.ValidAcc, y}
		ticks[i] = plot.Tick{Value: y, Label: fmt.Sprintf("%d. %s", i+1, Label(r))}
	}
	lo, hi := rs[n-1].Result.ValidAcc, rs[0].Result.ValidAcc
	p := newPlot("Candidates ranked by validation accuracy", opt, note(recs, pr))
	p.X.Label.Text = "best validation accuracy (%)"
	p.Y.Label.Text = ""
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Tick.Label.Font.Size = vg.Points(7)
	p.Y.Tick.Length = 0
	p.Y.LineStyle.Width = 0
	grid := plotter.NewGrid()
	grid.Horizontal = draw.LineStyle{Color: lightGrey, Width: vg.Points(0.4), Dashes: []vg.Length{vg.Points(1), vg.Points(2)}}
	grid.Vertical = draw.LineStyle{Color: lightGrey, Width: vg.Points(0.5)}
	p.Add(grid)
	lg := &legend{prefer: []corner{bottomRight}}
	if err := addPoints(p, items, pr.final, lg); err != nil {
		return nil, err
	}
	p.Add(lg)
	// Reserve the right third of the x range for the legend and the
	// "final" label: rows near the bottom have the lowest accuracies, so
	// the legend in the bottom right corner never covers a point.
	span := hi - lo
	if span <= 0 {
		span = 1
	}
	p.X.Min, p.X.Max = accuracyAxis(lo-0.04*span, hi+0.55*span, hi)
	p.Y.Min, p.Y.Max = -0.8, float64(n)-0.2
	return p, nil
}
