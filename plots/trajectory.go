package plots

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/trgnas/trgnas/nas"
)

// Trajectory draws the validation accuracy of every usable candidate in
// training order (x is Seq), on bands that mark the stages, with the
// running "current" accuracy: from each accepted candidate on, the line
// holds its accuracy, which is what the next decisions compared against
// (in the width stage the rule compares with the stage-1 accuracy minus
// the tolerance; the line still shows the accepted network). The final
// network is circled.
func Trajectory(recs []nas.Record, opt Options) (*plot.Plot, error) {
	pr, err := prepare(recs, opt)
	if err != nil {
		return nil, err
	}
	rs := bySeq(pr.recs)
	items := make([]item, len(rs))
	var ys []float64
	for i, r := range rs {
		items[i] = item{r, float64(r.Seq), r.Result.ValidAcc}
		ys = append(ys, r.Result.ValidAcc)
	}
	ylo, yhi := minMax(ys)
	span := yhi - ylo
	if span <= 0 {
		span = 1
	}
	bottom, top := ylo-0.2*span, yhi+0.45*span
	first, last := float64(rs[0].Seq), float64(rs[len(rs)-1].Seq)

	p := newPlot("Search trajectory", opt, note(recs, pr))
	p.X.Label.Text = "candidate (training order, Seq)"
	p.Y.Label.Text = "best validation accuracy (%)"

	// Stage bands: runs of consecutive records of one stage.
	for i := 0; i < len(rs); {
		j := i
		for j+1 < len(rs) && rs[j+1].Stage == rs[i].Stage {
			j++
		}
		x0, x1 := float64(rs[i].Seq)-0.5, float64(rs[j].Seq)+0.5
		st := styleOf(rs[i].Stage)
		band, err := plotter.NewPolygon(plotter.XYs{{X: x0, Y: bottom}, {X: x1, Y: bottom}, {X: x1, Y: top}, {X: x0, Y: top}})
		if err != nil {
			return nil, err
		}
		band.Color = tint(st.color, 0x26)
		band.LineStyle.Width = 0
		p.Add(band)
		p.Add(&tag{x: (x0 + x1) / 2, y: bottom + 0.09*span, text: st.name, center: true, bare: true})
		i = j + 1
	}
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	grid.Horizontal = draw.LineStyle{Color: lightGrey, Width: vg.Points(0.5)}
	p.Add(grid)

	// The running current accuracy, from the first accepted candidate.
	var cur plotter.XYs
	for _, r := range rs {
		if r.Accepted {
			cur = append(cur, plotter.XY{X: float64(r.Seq), Y: r.Result.ValidAcc})
		} else if len(cur) > 0 {
			cur = append(cur, plotter.XY{X: float64(r.Seq), Y: cur[len(cur)-1].Y})
		}
	}
	if len(cur) > 0 {
		cur = append(cur, plotter.XY{X: last + 0.5, Y: cur[len(cur)-1].Y})
		line, err := plotter.NewLine(cur)
		if err != nil {
			return nil, err
		}
		line.StepStyle = plotter.PostStep
		line.LineStyle = draw.LineStyle{Color: black, Width: vg.Points(1)}
		p.Add(line)
		p.Legend.Add("current (compared against)", line)
	}
	if err := addPoints(p, items, pr.final, false); err != nil {
		return nil, err
	}
	p.Legend.Add("accepted", thumb(grey, marker{circle, true}))
	p.Legend.Add("rejected", thumb(grey, marker{circle, false}))
	if pr.final != "" {
		p.Legend.Add("final network", thumb(black, marker{shape: ring}))
	}
	p.X.Min, p.X.Max = first-0.5, last+0.5
	p.Y.Min, p.Y.Max = bottom, top
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs = vg.Points(4)
	return p, nil
}

// tint returns c with the given alpha.
func tint(c color.Color, alpha uint8) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = alpha
	return n
}
