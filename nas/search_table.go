package nas

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the search's decisions stage by stage: one row per
// candidate (depth, width, ops and kernels as digit strings, parameters by
// Arch.Params for the config's data, best training and validation accuracy,
// the decision in words, marked * when the user set it), each stage's end,
// then the current best network and whether the search is finished.
func (s *Search) WriteTable(w io.Writer) error {
	var tw *tabwriter.Writer
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	var stage Stage = "-"
	for _, d := range s.st.decisions {
		if d.Stage != stage || tw == nil {
			if tw != nil {
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			stage = d.Stage
			fmt.Fprintf(w, "\n%s stage\n", stage)
			tw = tabwriter.NewWriter(w, 2, 8, 2, ' ', tabwriter.AlignRight)
			p("seq\tdepth\twidth\tops\tkernels\tparams\ttrain\tvalid\t  decision\n")
		}
		mark := "  "
		if d.Override {
			mark = "  * "
		}
		p("%d\t%d\t%d\t%s\t%s\t%s\t%.2f\t%.2f\t%s%s\n", d.Seq, d.Arch.Depth(), d.Arch.Width,
			digits(d.Arch.Ops), digits(d.Arch.Kernels), Thousands(d.Arch.Params(s.cfg.InChannels, s.cfg.Classes)),
			d.Result.TrainAcc, d.Result.ValidAcc, mark, d.Reason)
		if d.Ends != "" {
			if err := tw.Flush(); err != nil {
				return err
			}
			tw = nil
			fmt.Fprintf(w, "-> %s\n", d.Ends)
		}
	}
	if tw != nil {
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	a, res, ok := s.Best()
	switch {
	case !ok:
		fmt.Fprintln(w, "no candidate evaluated yet")
	default:
		state := "final"
		if !s.Done() {
			state = fmt.Sprintf("best so far (search in the %s stage)", s.Stage())
		}
		fmt.Fprintf(w, "%s: %s\n", state, a)
		fmt.Fprintf(w, "  params %s, train %.2f%%, valid %.2f%%\n", Thousands(a.Params(s.cfg.InChannels, s.cfg.Classes)), res.TrainAcc, res.ValidAcc)
	}
	if next, stage, ok := s.Next(); ok {
		fmt.Fprintf(w, "next: %s candidate %s\n", stage, next.Key())
	}
	return nil
}

func digits(v []int) string {
	var b strings.Builder
	for _, x := range v {
		b.WriteString(strconv.Itoa(x))
	}
	return b.String()
}

// Thousands formats n with commas: 453498 -> "453,498".
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
