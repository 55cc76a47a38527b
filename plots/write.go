package plots

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/nas"
)

// Names of the plots WriteAll writes; each is written as NAME.png and
// NAME.svg.
const (
	NameRanking       = "ranking"
	NameTradeoffParam = "tradeoff-params"
	NameTradeoffMACs  = "tradeoff-macs"
	NameTrajectory    = "trajectory"
	NameCurves        = "curves"
	NameLoss          = "loss"
	NameAgreement     = "agreement"
)

// WriteAll draws every plot that applies to recs and writes each into dir
// (created if missing) as PNG and SVG: ranking, tradeoff-params,
// tradeoff-macs, trajectory, curves, loss, and agreement when
// opt.Compare is set. A plot whose data the records lack (ErrNoData: no
// parameter counts, no curves, no losses) is skipped and reported to
// opt.Skipped when it is set; any other error stops. Files are written whole
// (temporary file, then rename). It returns the paths written, in order.
func WriteAll(recs []nas.Record, dir string, opt Options) ([]string, error) {
	if len(recs) == 0 {
		return nil, ErrNoRecords
	}
	w, h := opt.Width, opt.Height
	if w <= 0 {
		w = 7 * vg.Inch
	}
	if h <= 0 {
		h = 5 * vg.Inch
	}
	rh := h
	if opt.Height <= 0 {
		rh = RankingHeight(len(recs))
	}
	type job struct {
		name string
		h    vg.Length
		make func() (*plot.Plot, error)
	}
	jobs := []job{
		{NameRanking, rh, func() (*plot.Plot, error) { return Ranking(recs, opt) }},
		{NameTradeoffParam, h, func() (*plot.Plot, error) { return Tradeoff(recs, Params, opt) }},
		{NameTradeoffMACs, h, func() (*plot.Plot, error) { return Tradeoff(recs, MACs, opt) }},
		{NameTrajectory, h, func() (*plot.Plot, error) { return Trajectory(recs, opt) }},
		{NameCurves, h, func() (*plot.Plot, error) { return Curves(recs, opt) }},
		{NameLoss, h, func() (*plot.Plot, error) { return LossCurves(recs, opt) }},
	}
	if opt.Compare != nil {
		jobs = append(jobs, job{NameAgreement, h, func() (*plot.Plot, error) { return AgreementPlot(opt.Compare, recs, opt) }})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	var files []string
	for _, j := range jobs {
		p, err := j.make()
		if errors.Is(err, ErrNoData) {
			if opt.Skipped != nil {
				opt.Skipped(j.name, err)
			}
			continue
		}
		if err != nil {
			return files, fmt.Errorf("plots: %s: %w", j.name, err)
		}
		for _, f := range []struct {
			ext    string
			render func(*plot.Plot, vg.Length, vg.Length) ([]byte, error)
		}{{".png", PNG}, {".svg", SVG}} {
			b, err := f.render(p, w, j.h)
			if err != nil {
				return files, fmt.Errorf("plots: %s: %w", j.name, err)
			}
			path := filepath.Join(dir, j.name+f.ext)
			if err := writeFile(path, b); err != nil {
				return files, err
			}
			files = append(files, path)
		}
	}
	return files, nil
}

// writeFile writes b to path through a temporary file in the same folder.
func writeFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("plots: %w", err)
	}
	_, err = tmp.Write(b)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("plots: writing %s: %w", path, err)
	}
	return nil
}
