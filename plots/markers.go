package plots

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/trgnas/trgnas/nas"
)

// shape is the outline of a marker.
type shape int

const (
	circle shape = iota
	triangle
	square
	diamond
	plus
	ring
	cross
)

// marker draws a shape, filled with the glyph colour or hollow (white
// inside, coloured outline). It implements draw.GlyphDrawer.
type marker struct {
	shape  shape
	filled bool
}

// markerRadius is the radius of data markers (3.5 points).
const markerRadius vg.Length = 3.5

// DrawGlyph implements draw.GlyphDrawer.
func (m marker) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	var p vg.Path
	poly := func(n int, rad vg.Length, start float64) {
		for i := 0; i < n; i++ {
			a := start + 2*math.Pi*float64(i)/float64(n)
			q := vg.Point{X: pt.X + rad*vg.Length(math.Cos(a)), Y: pt.Y + rad*vg.Length(math.Sin(a))}
			if i == 0 {
				p.Move(q)
			} else {
				p.Line(q)
			}
		}
		p.Close()
	}
	switch m.shape {
	case circle, ring:
		p.Move(vg.Point{X: pt.X + r, Y: pt.Y})
		p.Arc(pt, r, 0, 2*math.Pi)
		p.Close()
	case triangle:
		poly(3, r*1.3, math.Pi/2)
	case square:
		poly(4, r*1.2, math.Pi/4)
	case diamond:
		poly(4, r*1.3, 0)
	case plus, cross:
		c.SetLineDash(nil, 0)
		c.SetLineWidth(vg.Points(1.5))
		c.SetColor(sty.Color)
		d := r
		if m.shape == cross {
			d = r * 0.8
		}
		var h, v vg.Path
		if m.shape == plus {
			h.Move(vg.Point{X: pt.X - d, Y: pt.Y})
			h.Line(vg.Point{X: pt.X + d, Y: pt.Y})
			v.Move(vg.Point{X: pt.X, Y: pt.Y - d})
			v.Line(vg.Point{X: pt.X, Y: pt.Y + d})
		} else {
			h.Move(vg.Point{X: pt.X - d, Y: pt.Y - d})
			h.Line(vg.Point{X: pt.X + d, Y: pt.Y + d})
			v.Move(vg.Point{X: pt.X - d, Y: pt.Y + d})
			v.Line(vg.Point{X: pt.X + d, Y: pt.Y - d})
		}
		c.Stroke(h)
		c.Stroke(v)
		return
	}
	c.SetLineDash(nil, 0)
	if m.shape == ring {
		c.SetLineWidth(vg.Points(1.6))
		c.SetColor(sty.Color)
		c.Stroke(p)
		return
	}
	if m.filled {
		c.SetColor(sty.Color)
	} else {
		c.SetColor(color.White)
	}
	c.Fill(p)
	c.SetLineWidth(vg.Points(1.1))
	c.SetColor(sty.Color)
	c.Stroke(p)
}

// glyph is the glyph style of a record's marker.
func glyph(r nas.Record) draw.GlyphStyle {
	st := styleOf(r.Stage)
	return draw.GlyphStyle{Color: st.color, Radius: markerRadius, Shape: marker{st.shape, r.Accepted}}
}

// item is a record at its place in a plot.
type item struct {
	r    nas.Record
	x, y float64
}

// addPoints draws the items, one scatter per stage and decision, and the
// ring and label of the final network. With legend set it adds a legend
// entry per stage and the filled/hollow/final entries to lg when it is
// not nil. The points are added to what the legend avoids.
func addPoints(p *plot.Plot, items []item, final string, lg *legend) error {
	recs := make([]nas.Record, len(items))
	for i, it := range items {
		recs[i] = it.r
	}
	for _, s := range stageOrder(recs) {
		st := styleOf(s)
		for _, acc := range []bool{false, true} {
			var pts plotter.XYs
			for _, it := range items {
				if it.r.Stage == s && it.r.Accepted == acc {
					pts = append(pts, plotter.XY{X: it.x, Y: it.y})
					if lg != nil {
						lg.avoid(plotter.XY{X: it.x, Y: it.y})
					}
				}
			}
			if len(pts) == 0 {
				continue
			}
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: st.color, Radius: markerRadius, Shape: marker{st.shape, acc}}
			p.Add(sc)
		}
		if lg != nil {
			lg.add(st.name, thumb(st.color, marker{st.shape, true}))
		}
	}
	if lg != nil {
		lg.add("accepted", thumb(grey, marker{circle, true}))
		lg.add("rejected", thumb(grey, marker{circle, false}))
	}
	if final == "" {
		return nil
	}
	for _, it := range items {
		if it.r.Key != final {
			continue
		}
		pts := plotter.XYs{{X: it.x, Y: it.y}}
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return err
		}
		sc.GlyphStyle = draw.GlyphStyle{Color: black, Radius: vg.Points(6.5), Shape: marker{shape: ring}}
		p.Add(sc)
		p.Add(&tag{x: it.x, y: it.y, text: "final", dx: vg.Points(9)})
		if lg != nil {
			lg.add("final network", thumb(black, marker{shape: ring}))
		}
		break // one ring even if the key was trained twice
	}
	return nil
}

// thumbnail is a legend icon: one marker.
type thumbnail struct{ sty draw.GlyphStyle }

func thumb(c color.Color, m marker) thumbnail {
	r := markerRadius
	if m.shape == ring {
		r = vg.Points(5)
	}
	return thumbnail{draw.GlyphStyle{Color: c, Radius: r, Shape: m}}
}

// Thumbnail implements plot.Thumbnailer.
func (t thumbnail) Thumbnail(c *draw.Canvas) {
	c.DrawGlyph(t.sty, c.Center())
}

// lineThumb is a legend icon: a short line, optionally with a marker.
type lineThumb struct {
	line  draw.LineStyle
	glyph *draw.GlyphStyle
}

// Thumbnail implements plot.Thumbnailer.
func (t lineThumb) Thumbnail(c *draw.Canvas) {
	y := c.Center().Y
	c.StrokeLine2(t.line, c.Min.X, y, c.Max.X, y)
	if t.glyph != nil {
		c.DrawGlyph(*t.glyph, c.Center())
	}
}

// tag is a text at a data point, shifted right by dx, on a white box so
// that lines under it do not cross the letters.
type tag struct {
	x, y   float64
	text   string
	dx     vg.Length
	center bool // centre the text on x instead of starting there
	bare   bool // no white box
}

// Plot implements plot.Plotter.
func (t *tag) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := text.Style{Color: black, Font: textFont(vg.Points(8)), YAlign: draw.YCenter, Handler: p.Title.TextStyle.Handler}
	pt := vg.Point{X: trX(t.x) + t.dx, Y: trY(t.y)}
	w, h := sty.Width(t.text), sty.Height(t.text)
	if t.center {
		pt.X -= w / 2
	}
	pad := vg.Points(1.5)
	if t.bare {
		c.FillText(sty, pt, t.text)
		return
	}
	c.FillPolygon(color.White, []vg.Point{
		{X: pt.X - pad, Y: pt.Y - h/2 - pad}, {X: pt.X + w + pad, Y: pt.Y - h/2 - pad},
		{X: pt.X + w + pad, Y: pt.Y + h/2 + pad}, {X: pt.X - pad, Y: pt.Y + h/2 + pad},
	})
	c.FillText(sty, pt, t.text)
}

// pointLabels writes short texts above-left of data points, leaving out
// any text that would overlap one already written or leave the plot area,
// so labels never collide whatever the scale.
type pointLabels struct {
	xs, ys []float64
	texts  []string
}

// Plot implements plot.Plotter.
func (l *pointLabels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	sty := text.Style{Color: grey, Font: textFont(vg.Points(7)), XAlign: draw.XRight, YAlign: draw.YBottom, Handler: p.Title.TextStyle.Handler}
	var done []vg.Rectangle
	for i, s := range l.texts {
		pt := vg.Point{X: trX(l.xs[i]) - vg.Points(5), Y: trY(l.ys[i]) + vg.Points(4.5)}
		w, h := sty.Width(s), sty.Height(s)
		r := vg.Rectangle{Min: vg.Point{X: pt.X - w, Y: pt.Y}, Max: vg.Point{X: pt.X, Y: pt.Y + h}}
		if r.Min.X < c.Min.X || r.Max.Y > c.Max.Y {
			continue
		}
		clash := false
		for _, d := range done {
			clash = clash || (r.Min.X < d.Max.X && d.Min.X < r.Max.X && r.Min.Y < d.Max.Y && d.Min.Y < r.Max.Y)
		}
		if clash {
			continue
		}
		done = append(done, r)
		c.FillText(sty, pt, s)
	}
}
