package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// corner is a corner of the data area.
type corner int

const (
	topLeft corner = iota
	topRight
	bottomLeft
	bottomRight
)

// legend is a legend drawn as a plotter, so that it can look at the data
// when the plot is drawn: it goes into the corner of the data area where
// its box covers the fewest data points and line samples, the corners
// tried in the order of prefer (then the others), the first of equals
// winning. Its box is white and slightly transparent.
type legend struct {
	names  []string
	thumbs []plot.Thumbnailer
	points plotter.XYs   // data points not to cover
	lines  []plotter.XYs // polylines not to cover (explicit vertices)
	prefer []corner
}

func (l *legend) add(name string, t plot.Thumbnailer) {
	l.names = append(l.names, name)
	l.thumbs = append(l.thumbs, t)
}

// avoid adds data points the legend should not cover.
func (l *legend) avoid(pts ...plotter.XY) { l.points = append(l.points, pts...) }

// avoidLine adds a polyline the legend should not cover.
func (l *legend) avoidLine(pts plotter.XYs) { l.lines = append(l.lines, pts) }

// Plot implements plot.Plotter.
func (l *legend) Plot(c draw.Canvas, p *plot.Plot) {
	if len(l.names) == 0 {
		return
	}
	trX, trY := p.Transforms(&c)
	sty := text.Style{Color: black, Font: textFont(vg.Points(8)), XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: p.Title.TextStyle.Handler}
	var (
		pad, gap, margin = vg.Points(3), vg.Points(4), vg.Points(4)
		thumbW           = vg.Points(16)
		rowH             = sty.Height("Xg") + vg.Points(1.5)
		textW            vg.Length
	)
	for _, n := range l.names {
		textW = max(textW, sty.Width(n))
	}
	w, h := pad+thumbW+gap+textW+pad, pad+vg.Length(len(l.names))*rowH+pad

	// Canvas positions to keep clear: points, and lines sampled every 2 points.
	var pts []vg.Point
	for _, d := range l.points {
		pts = append(pts, vg.Point{X: trX(d.X), Y: trY(d.Y)})
	}
	for _, line := range l.lines {
		for i := 1; i < len(line); i++ {
			a := vg.Point{X: trX(line[i-1].X), Y: trY(line[i-1].Y)}
			b := vg.Point{X: trX(line[i].X), Y: trY(line[i].Y)}
			n := int(math.Ceil(float64(math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y)) / 2)))
			n = min(max(n, 1), 2000)
			for k := 0; k <= n; k++ {
				f := vg.Length(k) / vg.Length(n)
				pts = append(pts, vg.Point{X: a.X + f*(b.X-a.X), Y: a.Y + f*(b.Y-a.Y)})
			}
		}
	}
	at := func(k corner) vg.Rectangle {
		x0, y0 := c.Min.X+margin, c.Min.Y+margin
		if k == topRight || k == bottomRight {
			x0 = c.Max.X - margin - w
		}
		if k == topLeft || k == topRight {
			y0 = c.Max.Y - margin - h
		}
		return vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x0 + w, Y: y0 + h}}
	}
	covered := func(r vg.Rectangle) int {
		n, e := 0, markerRadius
		for _, q := range pts {
			if q.X > r.Min.X-e && q.X < r.Max.X+e && q.Y > r.Min.Y-e && q.Y < r.Max.Y+e {
				n++
			}
		}
		return n
	}
	order := append([]corner(nil), l.prefer...)
	for _, k := range []corner{topLeft, topRight, bottomLeft, bottomRight} {
		seen := false
		for _, o := range order {
			seen = seen || o == k
		}
		if !seen {
			order = append(order, k)
		}
	}
	best, bestN := at(order[0]), covered(at(order[0]))
	for _, k := range order[1:] {
		if r := at(k); covered(r) < bestN {
			best, bestN = r, covered(r)
		}
	}

	box := []vg.Point{best.Min, {X: best.Max.X, Y: best.Min.Y}, best.Max, {X: best.Min.X, Y: best.Max.Y}}
	c.FillPolygon(color.NRGBA{R: 0xFF, G: 0xFF, B: 0xFF, A: 0xE6}, box)
	c.StrokeLines(draw.LineStyle{Color: lightGrey, Width: vg.Points(0.5)}, append(box, box[0]))
	for i, n := range l.names {
		y := best.Max.Y - pad - rowH*(vg.Length(i)+0.5)
		x := best.Min.X + pad
		tc := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: y - rowH/2}, Max: vg.Point{X: x + thumbW, Y: y + rowH/2}}}
		l.thumbs[i].Thumbnail(&tc)
		c.FillText(sty, vg.Point{X: x + thumbW + gap, Y: y}, n)
	}
}
