package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/trgnas/trgnas/nas"
)

// Curves draws the per-epoch training (dashed) and validation (solid)
// accuracy of chosen candidates: Options.Keys, or by default the last
// accepted candidate of each stage (Winners). Candidates without a curve
// are left out; with none left the error wraps ErrNoData. Non-finite
// points are skipped.
func Curves(recs []nas.Record, opt Options) (*plot.Plot, error) {
	return curves(recs, opt, false)
}

// LossCurves is Curves for the training and validation loss. A curve
// whose losses are all zero has no loss recorded (the published log has
// none) and is left out.
func LossCurves(recs []nas.Record, opt Options) (*plot.Plot, error) {
	return curves(recs, opt, true)
}

// curveStyle is the colour and marker of the i-th candidate of Curves.
func curveStyle(i int) (color.Color, shape) {
	colors := [...]color.Color{blue, vermilion, green, purple, orange, skyBlue, black}
	shapes := [...]shape{circle, triangle, square, diamond, plus}
	return colors[i%len(colors)], shapes[i%len(shapes)]
}

func chosen(recs []nas.Record, opt Options) ([]nas.Record, error) {
	if len(opt.Keys) == 0 {
		return Winners(recs), nil
	}
	var out []nas.Record
	for _, k := range opt.Keys {
		found, best := false, nas.Record{}
		for _, r := range recs {
			if r.Key == k && usable(r) && (!found || r.Seq >= best.Seq) {
				found, best = true, r
			}
		}
		if !found {
			return nil, fmt.Errorf("plots: Options.Keys: %q is not a usable record of the ledger", k)
		}
		out = append(out, best)
	}
	return out, nil
}

func hasLoss(r nas.Record) bool {
	for _, e := range r.Result.Curve {
		if e.TrainLoss != 0 || e.ValidLoss != 0 {
			return true
		}
	}
	return false
}

func curves(recs []nas.Record, opt Options, loss bool) (*plot.Plot, error) {
	pr, err := prepare(recs, opt)
	if err != nil {
		return nil, err
	}
	cands, err := chosen(pr.recs, opt)
	if err != nil {
		return nil, err
	}
	var keep []nas.Record
	for _, r := range cands {
		if len(r.Result.Curve) > 0 && (!loss || hasLoss(r)) {
			keep = append(keep, r)
		}
	}
	what := "accuracy"
	if loss {
		what = "loss"
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("%w: none of the %d chosen candidates has a %s curve", ErrNoData, len(cands), what)
	}
	name := "Training curves"
	if loss {
		name = "Loss curves"
	}
	ds, bs := budget(keep)
	p := newPlot(name, opt, fmt.Sprintf("%s\n%s, %d candidates", ds, bs, len(keep)))
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "accuracy (%)"
	if loss {
		p.Y.Label.Text = "loss (softmax cross-entropy)"
	}
	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: lightGrey, Width: vg.Points(0.5)}
	grid.Horizontal = grid.Vertical
	p.Add(grid)
	solid := draw.LineStyle{Width: vg.Points(1.3)}
	dashed := draw.LineStyle{Width: vg.Points(1.1), Dashes: []vg.Length{vg.Points(4), vg.Points(2.5)}}
	var ys, xs []float64
	lg := &legend{prefer: []corner{bottomRight, topRight}}
	if loss {
		lg.prefer = []corner{topRight, bottomRight}
	}
	for i, r := range keep {
		col, shp := curveStyle(i)
		var train, valid plotter.XYs
		for _, e := range r.Result.Curve {
			t, v := e.TrainAcc, e.ValidAcc
			if loss {
				t, v = e.TrainLoss, e.ValidLoss
			}
			x := float64(e.Epoch)
			xs = append(xs, x)
			if finite(t) {
				train = append(train, plotter.XY{X: x, Y: t})
				ys = append(ys, t)
			}
			if finite(v) {
				valid = append(valid, plotter.XY{X: x, Y: v})
				ys = append(ys, v)
			}
		}
		g := draw.GlyphStyle{Color: col, Radius: vg.Points(3), Shape: marker{shp, true}}
		for _, c := range []struct {
			pts  plotter.XYs
			line draw.LineStyle
			fill bool
		}{{train, dashed, false}, {valid, solid, true}} {
			if len(c.pts) == 0 {
				continue
			}
			l, err := plotter.NewLine(c.pts)
			if err != nil {
				return nil, err
			}
			l.LineStyle = c.line
			l.LineStyle.Color = col
			p.Add(l)
			lg.avoidLine(c.pts)
			sc, err := plotter.NewScatter(sparse(c.pts, 12))
			if err != nil {
				return nil, err
			}
			sc.GlyphStyle = g
			sc.GlyphStyle.Shape = marker{shp, c.fill}
			p.Add(sc)
		}
		best := r.Result.ValidAcc
		lg.add(fmt.Sprintf("%s (best %.2f%%)", Label(r), best), lineThumb{line: withColor(solid, col), glyph: &g})
	}
	if len(ys) == 0 {
		return nil, fmt.Errorf("%w: the %s curves hold no finite value", ErrNoData, what)
	}
	lg.add("validation (filled markers)", lineThumb{line: withColor(solid, grey)})
	lg.add("training (hollow markers)", lineThumb{line: withColor(dashed, grey)})
	p.Add(lg)
	// Accuracy rises and loss falls: the legend goes where the curves are
	// not, with room made below (accuracy) or above (loss) the data.
	lo, hi := minMax(ys)
	span := hi - lo
	if span <= 0 {
		span = 1
	}
	rows := float64(len(keep) + 2)
	if x0, x1 := minMax(xs); x1 > x0 {
		p.X.Min, p.X.Max = x0-0.015*(x1-x0), x1+0.015*(x1-x0)
	}
	if loss {
		p.Y.Min, p.Y.Max = math.Max(0, lo-0.03*span), hi+0.09*rows*span
	} else {
		p.Y.Min, p.Y.Max = accuracyAxis(lo-0.09*rows*span, hi+0.03*span, hi)
		if lo >= 0 && p.Y.Min < 0 {
			p.Y.Min = 0 // accuracies are not negative
		}
	}
	return p, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func withColor(l draw.LineStyle, c color.Color) draw.LineStyle {
	l.Color = c
	return l
}

// sparse returns at most n points of pts, evenly spaced, the last included.
func sparse(pts plotter.XYs, n int) plotter.XYs {
	if len(pts) <= n {
		return pts
	}
	out := make(plotter.XYs, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, pts[i*(len(pts)-1)/(n-1)])
	}
	return out
}
