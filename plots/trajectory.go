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
	bottom, top := accuracyAxis(ylo-0.2*span, yhi+0.45*span, yhi)
	all := bySeq(decided(recs))
	first, last := float64(all[0].Seq), float64(all[len(all)-1].Seq)

	p := newPlot("Search trajectory", opt, noteAs(recs, pr, "marked ×"))
	p.X.Label.Text = "candidate (training order, Seq)"
	p.Y.Label.Text = "best validation accuracy (%)"

	// Stage bands: runs of consecutive records of one stage.
	for i := 0; i < len(all); {
		j := i
		for j+1 < len(all) && all[j+1].Stage == all[i].Stage {
			j++
		}
		x0, x1 := float64(all[i].Seq)-0.5, float64(all[j].Seq)+0.5
		st := styleOf(all[i].Stage)
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

	lg := &legend{prefer: []corner{topLeft, topRight}}
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
		lg.add("current (compared against)", line)
		var stair plotter.XYs
		for i, q := range cur {
			if i > 0 {
				stair = append(stair, plotter.XY{X: q.X, Y: cur[i-1].Y})
			}
			stair = append(stair, q)
		}
		lg.avoidLine(stair)
	}
	if err := addPoints(p, items, pr.final, nil); err != nil {
		return nil, err
	}
	for _, it := range items {
		lg.avoid(plotter.XY{X: it.x, Y: it.y})
	}
	lg.add("accepted", thumb(grey, marker{circle, true}))
	lg.add("rejected", thumb(grey, marker{circle, false}))
	var failed plotter.XYs
	for _, r := range all {
		if !usable(r) {
			failed = append(failed, plotter.XY{X: float64(r.Seq), Y: ylo - 0.07*span})
		}
	}
	if len(failed) > 0 {
		sc, err := plotter.NewScatter(failed)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: vermilion, Radius: markerRadius, Shape: marker{shape: cross}}
		p.Add(sc)
		lg.add("failed (no accuracy)", thumb(vermilion, marker{shape: cross}))
		lg.avoid(failed...)
	}
	if pr.final != "" {
		lg.add("final network", thumb(black, marker{shape: ring}))
	}
	p.Add(lg)
	p.X.Min, p.X.Max = first-0.5, last+0.5
	p.Y.Min, p.Y.Max = bottom, top
	return p, nil
}

// tint returns c with the given alpha.
func tint(c color.Color, alpha uint8) color.Color {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	n.A = alpha
	return n
}
