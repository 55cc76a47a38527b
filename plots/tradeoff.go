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

// Cost is the size measure on the x axis of Tradeoff.
type Cost int

// The costs Tradeoff can draw against.
const (
	Params Cost = iota // trainable parameters (Result.Params)
	MACs               // multiply-accumulates of one forward pass (Result.MACs)
)

// String names the cost.
func (c Cost) String() string {
	switch c {
	case Params:
		return "params"
	case MACs:
		return "macs"
	}
	return fmt.Sprintf("Cost(%d)", int(c))
}

func (c Cost) of(r nas.Record) float64 {
	if c == MACs {
		return float64(r.Result.MACs)
	}
	return float64(r.Result.Params)
}

// Tradeoff draws validation accuracy against cost (log scale) for every
// usable candidate, with the Pareto front (fewest parameters or MACs for
// the accuracy, nas.ParetoFront) as a staircase and the final network
// circled; candidates on the front are labelled with their Seq (a label
// that would overlap another is left out). Candidates without a positive cost (not recorded) are left out
// and counted in the subtitle; with none left the error wraps ErrNoData.
func Tradeoff(recs []nas.Record, cost Cost, opt Options) (*plot.Plot, error) {
	if cost != Params && cost != MACs {
		return nil, fmt.Errorf("plots: unknown cost %d", int(cost))
	}
	pr, err := prepare(recs, opt)
	if err != nil {
		return nil, err
	}
	var items []item
	var xs, ys []float64
	missing := 0
	for _, r := range bySeq(pr.recs) {
		c := cost.of(r)
		if !(c > 0) {
			missing++
			continue
		}
		items = append(items, item{r, c, r.Result.ValidAcc})
		xs, ys = append(xs, c), append(ys, r.Result.ValidAcc)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: no candidate has %s recorded", ErrNoData, cost)
	}
	front, err := nas.ParetoFront(xs, ys)
	if err != nil {
		return nil, err
	}
	extra := ""
	if missing > 0 {
		extra = fmt.Sprintf("%d without %s not shown", missing, cost)
	}
	name, axis := "Accuracy against parameters", "trainable parameters (millions, log scale)"
	if cost == MACs {
		name, axis = "Accuracy against compute", "multiply-accumulates per image (millions, log scale)"
	}
	p := newPlot(name, opt, note(recs, pr, extra))
	p.X.Label.Text = axis
	p.Y.Label.Text = "best validation accuracy (%)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logTicks(1e6)
	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: lightGrey, Width: vg.Points(0.5)}
	grid.Horizontal = grid.Vertical
	p.Add(grid)

	// The front as a staircase: from each front point right to the next
	// one's cost, then up to its accuracy; it ends at the largest cost.
	lo, hi := minMax(xs)
	var stair plotter.XYs
	for i, k := range front {
		if i > 0 {
			stair = append(stair, plotter.XY{X: xs[k], Y: ys[front[i-1]]})
		}
		stair = append(stair, plotter.XY{X: xs[k], Y: ys[k]})
	}
	stair = append(stair, plotter.XY{X: hi, Y: ys[front[len(front)-1]]})
	line, err := plotter.NewLine(stair)
	if err != nil {
		return nil, err
	}
	line.LineStyle = draw.LineStyle{Color: grey, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(4), vg.Points(2)}}
	p.Add(line)
	lg := &legend{prefer: []corner{topLeft, bottomRight}}
	if err := addPoints(p, items, pr.final, lg); err != nil {
		return nil, err
	}
	lg.add("Pareto front", line)
	lg.avoidLine(stair)
	// Name the candidates on the front (#Seq), cheapest first.
	fl := &pointLabels{}
	for _, k := range front {
		fl.xs, fl.ys = append(fl.xs, xs[k]), append(fl.ys, ys[k])
		fl.texts = append(fl.texts, fmt.Sprintf("#%d", items[k].r.Seq))
	}
	p.Add(fl, lg)
	if err := addFinals(p, opt.Finals, cost, lg, &ys); err != nil {
		return nil, err
	}
	if len(opt.Finals) > 0 {
		p.Y.Label.Text = "best validation accuracy; final networks: test (%)"
	}

	// Room above the data for the legend (top left), a little on the right.
	ylo, yhi := minMax(ys)
	span := yhi - ylo
	if span <= 0 {
		span = 1
	}
	p.Y.Min, p.Y.Max = accuracyAxis(ylo-0.05*span, yhi+0.75*span, yhi)
	p.X.Min, p.X.Max = lo/math.Pow(hi/lo, 0.04)/1.02, hi*math.Pow(hi/lo, 0.12)*1.05
	return p, nil
}

// addFinals draws the final records as black crosses at their test
// accuracy, labelled with their role, and adds their accuracies to ys (for
// the axis range).
func addFinals(p *plot.Plot, finals []nas.FinalRecord, cost Cost, lg *legend, ys *[]float64) error {
	var pts plotter.XYs
	var texts []string
	for _, f := range finals {
		r := nas.Record{Result: f.Result, Key: f.Result.Arch.Key()}
		c := cost.of(r)
		if f.Result.Failed || !(c > 0) || !finite(f.Result.TestAcc) {
			continue
		}
		pts = append(pts, plotter.XY{X: c, Y: f.Result.TestAcc})
		texts = append(texts, fmt.Sprintf("%s %.2f%%", f.Role, f.Result.TestAcc))
		*ys = append(*ys, f.Result.TestAcc)
	}
	if len(pts) == 0 {
		return nil
	}
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	sc.GlyphStyle = draw.GlyphStyle{Color: color.Black, Radius: vg.Points(5), Shape: draw.CrossGlyph{}}
	p.Add(sc)
	lg.add("final (test set)", sc)
	lg.avoid(pts...)
	p.Add(&pointLabels{xs: xsOf(pts), ys: ysOf(pts), texts: texts})
	return nil
}

func xsOf(pts plotter.XYs) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = p.X
	}
	return out
}

func ysOf(pts plotter.XYs) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		out[i] = p.Y
	}
	return out
}

// accuracyAxis keeps an accuracy axis from min to max (the data up to hi,
// the rest room for a legend or labels) within 100: past it, the range
// keeps its width and moves down, so the room stays on the same side.
func accuracyAxis(min, max, hi float64) (float64, float64) {
	if max <= 100 || hi > 100 {
		return min, max
	}
	return min - (max - 100), 100
}

func minMax(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	return lo, hi
}
