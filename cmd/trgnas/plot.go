package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/plots"
)

func init() {
	register("plot", "draw a ledger's ranking, trade-offs, trajectory, curves and rank agreement (PNG and SVG)", runPlot)
}

func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", "--ledger F --out DIR", stderr)
	ledgerPath := fs.String("ledger", "", "ledger to draw (required)")
	out := fs.String("out", "", "folder to write the plots into, created if missing (required)")
	compare := fs.String("compare", "", "ledger of the same candidates under another budget: adds the rank agreement plot (this ledger on x, --ledger on y)")
	title := fs.String("title", "", "first title line of every plot; dataset and budget are always added from the records")
	final := fs.String("final", "", "key of the network to highlight (default: the last accepted candidate)")
	curves := fs.String("curves", "", "comma-separated keys whose training curves to draw (default: the last accepted candidate of each stage)")
	width := fs.Float64("width", 7, "width of the images in inches")
	height := fs.Float64("height", 0, "height of the images in inches (0: 5, and the ranking grows with the number of candidates)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *ledgerPath == "":
		return errors.New("--ledger is required")
	case *out == "":
		return errors.New("--out is required")
	case !(*width > 0) || *width > 100:
		return fmt.Errorf("--width %g: must be in (0, 100] inches", *width)
	case !(*height >= 0) || *height > 100:
		return fmt.Errorf("--height %g: must be in [0, 100] inches", *height)
	}
	opt := plots.Options{
		Title:  *title,
		Final:  *final,
		Width:  vg.Length(*width) * vg.Inch,
		Height: vg.Length(*height) * vg.Inch,
		Skipped: func(name string, reason error) {
			fmt.Fprintf(stderr, "skipped %s: %v\n", name, reason)
		},
	}
	if *curves != "" {
		for _, k := range strings.Split(*curves, ",") {
			opt.Keys = append(opt.Keys, strings.TrimSpace(k))
		}
	}
	recs, err := readRecords(*ledgerPath, stderr)
	if err != nil {
		return err
	}
	if lf, _, err := ledger.ReadFile(*ledgerPath); err == nil {
		opt.Finals = lf.Finals()
	}
	if *compare != "" {
		if opt.Compare, err = readRecords(*compare, stderr); err != nil {
			return err
		}
		ag, err := plots.Agree(opt.Compare, recs)
		switch {
		case err == nil:
			fmt.Fprintf(stdout, "rank agreement: %d candidates matched by key (%d in one ledger only), Kendall tau-b %.4f, Spearman rho %.4f\n",
				len(ag.Pairs), ag.Unmatched, ag.Tau, ag.Rho)
		case errors.Is(err, nas.ErrRank):
			fmt.Fprintf(stdout, "rank agreement: %d candidates matched by key, %v\n", len(ag.Pairs), err)
		default:
			return fmt.Errorf("--compare %s: %w", *compare, err)
		}
	}
	files, err := plots.WriteAll(recs, *out, opt)
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", *ledgerPath, err)
	}
	return nil
}

// readRecords reads a ledger with ledger.Read, reports its skipped
// lines on stderr, and refuses a ledger without records.
func readRecords(path string, stderr io.Writer) ([]nas.Record, error) {
	recs, warns, err := ledger.Read(path)
	for _, w := range warns {
		fmt.Fprintf(stderr, "warning: %v\n", w)
	}
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("%s: no candidate records", path)
	}
	return recs, nil
}
