package plots_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/plots"
)

// load reads a JSON-lines ledger from testdata, for the examples.
func load(name string) []nas.Record {
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	var recs []nas.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r nas.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			panic(err)
		}
		recs = append(recs, r)
	}
	return recs
}

// The final network of the published CIFAR-10 search.
func ExampleFinal() {
	recs := load("searchlog.jsonl")
	f, err := plots.Final(recs)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plots.Label(f), f.Result.Params, f.Result.ValidAcc)
	// Output:
	// #18 d16 w56 conv@0,2 453498 96
}

// A notebook cell draws a plot and displays its PNG bytes (with GoNB:
// gonbui.DisplayPNG(b)).
func ExampleRanking() {
	recs := load("searchlog.jsonl")
	p, err := plots.Ranking(recs, plots.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := plots.PNG(p, 7*vg.Inch, plots.RankingHeight(len(recs)))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, _ := png.DecodeConfig(bytes.NewReader(b))
	fmt.Println(p.Title.Text)
	fmt.Printf("%dx%d pixels\n", cfg.Width, cfg.Height)
	// Output:
	// Candidates ranked by validation accuracy
	// cifar10
	// 600 epochs per candidate, 46 candidates
	// 672x797 pixels
}

// One stage's candidates: filter the records. The circled network is then
// the stage's last accepted candidate.
func ExampleRanking_stage() {
	var width []nas.Record
	for _, r := range load("searchlog.jsonl") {
		if r.Stage == nas.StageWidth {
			width = append(width, r)
		}
	}
	f, _ := plots.Final(width)
	p, err := plots.Ranking(width, plots.Options{Title: "Width stage"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Title.Text)
	fmt.Println("circled:", plots.Label(f))
	// Output:
	// Width stage
	// cifar10
	// 600 epochs per candidate, 5 candidates
	// circled: #14 d16 w56
}

// How well do the accuracies at epoch 30 of the published run predict
// the final ranking? Not at all, on this search.
func ExampleAgree() {
	long := load("searchlog.jsonl")
	short := load("searchlog-e31.jsonl")
	ag, err := plots.Agree(short, long)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d candidates, Kendall tau-b %.3f, Spearman rho %.3f\n", len(ag.Pairs), ag.Tau, ag.Rho)
	// Output:
	// 46 candidates, Kendall tau-b -0.045, Spearman rho -0.074
}

// WriteAll is what `trgnas plot` runs.
func ExampleWriteAll() {
	dir, err := os.MkdirTemp("", "plots")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	files, err := plots.WriteAll(load("searchlog.jsonl"), dir, plots.Options{
		Skipped: func(name string, reason error) { fmt.Println("skipped", name+":", reason) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// skipped loss: plots: nothing to draw: none of the 3 chosen candidates has a loss curve
	// ranking.png
	// ranking.svg
	// tradeoff-params.png
	// tradeoff-params.svg
	// tradeoff-macs.png
	// tradeoff-macs.svg
	// trajectory.png
	// trajectory.svg
	// curves.png
	// curves.svg
}

func ExampleLabel() {
	a := nas.Uniform(56, 16, nas.OpSepConv, 3)
	a.Ops[0], a.Kernels[3] = nas.OpConv, 7
	fmt.Println(plots.Label(nas.Record{Seq: 30, Result: nas.Result{Arch: a}}))
	// Output:
	// #30 d16 w56 conv@0 k7@3
}
