// Package plots draws TRG-NAS ledger records: the ranking of candidates,
// accuracy against parameters and MACs with the Pareto front, the search
// trajectory with its stages, training curves, and the rank agreement of
// two ledgers. Each function returns a *plot.Plot (gonum.org/v1/plot);
// PNG and SVG turn one into bytes for notebooks, and WriteAll writes every
// plot that applies to files for the command line.
//
// Conventions shared by all plots: colours are the Okabe-Ito palette, and
// every stage also has its own marker (depth circle, width triangle,
// operation square, kernel diamond), so they survive greyscale and
// colour-blindness; accepted candidates are filled, rejected ones hollow;
// the final network is circled. Records that failed (Result.Failed) or
// whose validation accuracy is NaN or infinite are not drawn as points
// (the trajectory marks them with a cross), and the subtitle says how
// many there were. Legends are placed when drawn, in the corner of the
// data area where they cover the fewest points and lines. Text uses gonum's embedded
// Liberation fonts, so output is the same on every machine.
package plots

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/trgnas/trgnas/nas"
)

// DPI is the resolution of PNG output.
const DPI = 96

var (
	// ErrNoRecords is returned for an empty ledger.
	ErrNoRecords = errors.New("plots: no records")
	// ErrNoData is returned when the records hold nothing a plot can
	// draw: no finite accuracy, no parameter counts, no curves. WriteAll
	// skips the plots that fail with it.
	ErrNoData = errors.New("plots: nothing to draw")
	// ErrNoFinal is returned by Final when no candidate was accepted.
	ErrNoFinal = errors.New("plots: no accepted candidate")
)

// Options adjust the plots. The zero value draws the defaults.
type Options struct {
	// Title replaces the first title line (the plot's name). The second
	// line, dataset and training budget, is always taken from the records.
	Title string
	// Final is the Key of the network to highlight. Empty means Final(recs);
	// when no candidate was accepted, nothing is highlighted.
	Final string
	// Keys chooses the candidates of Curves and LossCurves. Empty means
	// the last accepted candidate of each stage (see Winners).
	Keys []string
	// Width and Height are the size of WriteAll's files. Zero means 7 by 5
	// inches; the ranking grows with the number of candidates (see
	// RankingHeight).
	Width, Height vg.Length
	// Compare is a second ledger of the same candidates under another
	// budget; when set, WriteAll draws the rank agreement of Compare (x)
	// against the main ledger (y).
	Compare []nas.Record
	// Finals are the search's final records (nas.LedgerFile.Finals): the
	// trade-off plots draw each at its test accuracy.
	Finals []nas.FinalRecord
	// Skipped, when set, is told which plots WriteAll left out because
	// the records lack their data (the reason wraps ErrNoData).
	Skipped func(name string, reason error)
}

// Final returns the search's final network: the last accepted candidate,
// in Seq order, that did not fail. Under the published rules that is the
// last accepted candidate of the last stage that accepted any (the
// search's current best when it stopped). A first candidate that became
// "current" without a comparison is expected to be recorded as accepted.
func Final(recs []nas.Record) (nas.Record, error) {
	recs = decided(recs)
	if len(recs) == 0 {
		return nas.Record{}, ErrNoRecords
	}
	best, found := nas.Record{}, false
	for _, r := range recs {
		if r.Accepted && usable(r) && (!found || r.Seq >= best.Seq) {
			best, found = r, true
		}
	}
	if !found {
		return nas.Record{}, ErrNoFinal
	}
	return best, nil
}

// Winners returns the last accepted, usable candidate of each stage, in
// the order the stages first appear by Seq. With no accepted candidate at
// all it returns the candidate with the best validation accuracy.
func Winners(recs []nas.Record) []nas.Record {
	rs := bySeq(usableOnly(decided(recs)))
	var order []nas.Stage
	last := map[nas.Stage]nas.Record{}
	for _, r := range rs {
		if _, seen := last[r.Stage]; !seen {
			order = append(order, r.Stage)
			last[r.Stage] = nas.Record{Seq: -1}
		}
		if r.Accepted {
			last[r.Stage] = r
		}
	}
	var out []nas.Record
	for _, s := range order {
		if r := last[s]; r.Seq >= 0 {
			out = append(out, r)
		}
	}
	if len(out) == 0 && len(rs) > 0 {
		best := rs[0]
		for _, r := range rs {
			if r.Result.ValidAcc > best.Result.ValidAcc {
				best = r
			}
		}
		out = append(out, best)
	}
	return out
}

// PNG renders p as a w x h PNG image at DPI dots per inch.
func PNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	if err := checkSize(p, w, h); err != nil {
		return nil, err
	}
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	if err := drawSafe(p, draw.New(c)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return nil, fmt.Errorf("plots: encoding PNG: %w", err)
	}
	return b.Bytes(), nil
}

// SVG renders p as a w x h SVG document. Fonts are referenced by name
// (Liberation Sans), not embedded.
func SVG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	if err := checkSize(p, w, h); err != nil {
		return nil, err
	}
	c := vgsvg.New(w, h)
	if err := drawSafe(p, draw.New(c)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("plots: encoding SVG: %w", err)
	}
	return b.Bytes(), nil
}

func checkSize(p *plot.Plot, w, h vg.Length) error {
	if p == nil {
		return errors.New("plots: nil plot")
	}
	if !(w > 0 && h > 0) || math.IsInf(float64(w), 0) || math.IsInf(float64(h), 0) {
		return fmt.Errorf("plots: size %v x %v, both must be > 0", w, h)
	}
	return nil
}

// drawSafe draws p, turning a panic of the drawing code into an error.
func drawSafe(p *plot.Plot, c draw.Canvas) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plots: drawing failed: %v", r)
		}
	}()
	p.Draw(c)
	return nil
}

// decided returns the records the search took a decision on: speculative
// records (results that a parallel search trained ahead and did not need)
// are left out of every plot of a search; they have no place in its order.
func decided(recs []nas.Record) []nas.Record {
	out := make([]nas.Record, 0, len(recs))
	for _, r := range recs {
		if !r.Speculative {
			out = append(out, r)
		}
	}
	return out
}

// usable reports whether a record has a finite validation accuracy and did
// not fail.
func usable(r nas.Record) bool {
	v := r.Result.ValidAcc
	return !r.Result.Failed && !math.IsNaN(v) && !math.IsInf(v, 0)
}

func usableOnly(recs []nas.Record) []nas.Record {
	var out []nas.Record
	for _, r := range recs {
		if usable(r) {
			out = append(out, r)
		}
	}
	return out
}

// bySeq returns a copy of recs sorted by Seq (stable).
func bySeq(recs []nas.Record) []nas.Record {
	out := append([]nas.Record(nil), recs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// prepared is the common input check of the plots.
type prepared struct {
	recs    []nas.Record // usable records
	skipped int          // failed or non-finite accuracy
	final   string       // key to highlight, "" for none
}

func prepare(recs []nas.Record, opt Options) (prepared, error) {
	recs = decided(recs)
	if len(recs) == 0 {
		return prepared{}, ErrNoRecords
	}
	p := prepared{recs: usableOnly(recs)}
	p.skipped = len(recs) - len(p.recs)
	if len(p.recs) == 0 {
		return p, fmt.Errorf("%w: none of %d records has a finite validation accuracy", ErrNoData, len(recs))
	}
	switch {
	case opt.Final != "":
		found := false
		for _, r := range p.recs {
			found = found || r.Key == opt.Final
		}
		if !found {
			return p, fmt.Errorf("plots: Options.Final %q is not a usable record of the ledger", opt.Final)
		}
		p.final = opt.Final
	default:
		if f, err := Final(recs); err == nil {
			p.final = f.Key
		}
	}
	return p, nil
}

// budget describes the datasets and the training budget of the records,
// e.g. "cifar10" and "600 epochs per candidate".
func budget(recs []nas.Record) (string, string) {
	var sets []string
	seen := map[string]bool{}
	epochs := map[int]bool{}
	for _, r := range recs {
		d := r.Dataset
		if d == "" {
			d = "dataset not recorded"
		}
		if !seen[d] {
			seen[d] = true
			sets = append(sets, shorten(d, 90))
		}
		epochs[r.Recipe.Epochs] = true
	}
	ds := strings.Join(sets, " + ")
	if len(sets) > 2 {
		ds = fmt.Sprintf("%d datasets", len(sets))
	}
	var es []int
	for e := range epochs {
		es = append(es, e)
	}
	sort.Ints(es)
	var bs string
	switch {
	case len(es) == 1 && es[0] <= 0:
		bs = "epochs not recorded"
	case len(es) == 1 && es[0] == 1:
		bs = "1 epoch per candidate"
	case len(es) == 1:
		bs = fmt.Sprintf("%d epochs per candidate", es[0])
	default:
		bs = fmt.Sprintf("%d to %d epochs per candidate (mixed)", es[0], es[len(es)-1])
	}
	return ds, bs
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// newPlot makes a plot with the shared look and a two-line title.
func newPlot(name string, opt Options, sub string) *plot.Plot {
	p := plot.New()
	sans := func(f *font.Font) { f.Typeface, f.Variant = "Liberation", "Sans" }
	sans(&p.Title.TextStyle.Font)
	sans(&p.X.Label.TextStyle.Font)
	sans(&p.Y.Label.TextStyle.Font)
	sans(&p.X.Tick.Label.Font)
	sans(&p.Y.Tick.Label.Font)
	p.X.Tick.Marker = plot.TickerFunc(linTicks)
	p.Y.Tick.Marker = plot.TickerFunc(linTicks)
	if opt.Title != "" {
		name = opt.Title
	}
	p.Title.Text = name + "\n" + sub
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Title.Padding = vg.Points(6)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Size = vg.Points(10)
		a.Tick.Label.Font.Size = vg.Points(8)
	}
	return p
}

// note is the subtitle: the budget and how many records were left out.
func note(all []nas.Record, pr prepared, extra ...string) string {
	return noteAs(all, pr, "not shown", extra...)
}

// noteAs is note with the words saying what became of failed records.
func noteAs(all []nas.Record, pr prepared, failed string, extra ...string) string {
	ds, bs := budget(all)
	s := fmt.Sprintf("%s\n%s, %d candidates", ds, bs, len(pr.recs))
	if pr.skipped > 0 {
		s += fmt.Sprintf(" (%d failed or NaN, %s)", pr.skipped, failed)
	}
	for _, e := range extra {
		if e != "" {
			s += ", " + e
		}
	}
	return s
}

// Label is a short name of a candidate: its Seq, depth, width and the
// layers that differ from the all-SepConv 3x3 start, e.g.
// "#18 d16 w56 conv@0,2 k5@1".
func Label(r nas.Record) string {
	a := r.Result.Arch
	if a.Width == 0 && len(a.Ops) == 0 && r.Key != "" {
		if k, err := nas.ParseKey(r.Key); err == nil {
			a = k
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "#%d d%d w%d", r.Seq, a.Depth(), a.Width)
	list := func(name string, keep func(i int) bool) {
		var is []string
		for i := range a.Ops {
			if keep(i) {
				is = append(is, strconv.Itoa(i))
			}
		}
		if len(is) > 0 {
			b.WriteString(" " + name + "@" + strings.Join(is, ","))
		}
	}
	list("conv", func(i int) bool { return a.Ops[i] == nas.OpConv })
	if len(a.Kernels) == len(a.Ops) {
		list("k5", func(i int) bool { return a.Kernels[i] == 5 })
		list("k7", func(i int) bool { return a.Kernels[i] == 7 })
	}
	return shorten(b.String(), 34)
}

// rgb is an opaque colour written as 0xRRGGBB; it implements color.Color,
// so the palette can be constants.
type rgb uint32

// RGBA implements color.Color.
func (c rgb) RGBA() (r, g, b, a uint32) {
	r, g, b = uint32(c>>16&0xFF), uint32(c>>8&0xFF), uint32(c&0xFF)
	return r | r<<8, g | g<<8, b | b<<8, 0xFFFF
}

// Okabe-Ito colours, and greys.
const (
	blue      rgb = 0x0072B2
	orange    rgb = 0xE69F00
	green     rgb = 0x009E73
	purple    rgb = 0xCC79A7
	vermilion rgb = 0xD55E00
	skyBlue   rgb = 0x56B4E9
	grey      rgb = 0x555555
	lightGrey rgb = 0xC8C8C8
	black     rgb = 0x000000
)

// stageStyle is the colour and marker of a stage.
type stageStyle struct {
	name  string
	color color.Color
	shape shape
}

func styleOf(s nas.Stage) stageStyle {
	switch s {
	case nas.StageDepth:
		return stageStyle{"depth", blue, circle}
	case nas.StageWidth:
		return stageStyle{"width", orange, triangle}
	case nas.StageOperation:
		return stageStyle{"operation", green, square}
	case nas.StageKernel:
		return stageStyle{"kernel", purple, diamond}
	case "":
		return stageStyle{"no stage", grey, plus}
	}
	return stageStyle{string(s), grey, plus}
}

// stageOrder lists the stages of recs: the published ones first, in their
// order, then others by first appearance.
func stageOrder(recs []nas.Record) []nas.Stage {
	known := []nas.Stage{nas.StageDepth, nas.StageWidth, nas.StageOperation, nas.StageKernel}
	present := map[nas.Stage]bool{}
	var others []nas.Stage
	for _, r := range bySeq(recs) {
		if !present[r.Stage] {
			present[r.Stage] = true
			isKnown := false
			for _, k := range known {
				isKnown = isKnown || k == r.Stage
			}
			if !isKnown {
				others = append(others, r.Stage)
			}
		}
	}
	var out []nas.Stage
	for _, k := range known {
		if present[k] {
			out = append(out, k)
		}
	}
	return append(out, others...)
}

// textFont returns a font of the default family at the given size.
func textFont(size vg.Length) font.Font {
	f := font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	return f
}
