package runner_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
)

// A runner with a ledger records each decision; running the same code
// again resumes from the ledger without evaluating anything twice.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "search.jsonl")
	cfg := nas.DefaultConfig()
	cfg.MinDepth, cfg.MaxDepth, cfg.MinWidth, cfg.MaxWidth = 2, 3, 8, 12
	calls := 0
	ev := nas.EvaluatorFunc(func(ctx context.Context, a nas.Arch) (nas.Result, error) {
		calls++
		return nas.Result{Arch: a, ValidAcc: 50 + float64(a.Depth()+a.Width)/10}, nil
	})
	for run := 0; run < 2; run++ {
		l, err := ledger.Open(path, nas.LedgerHeader{Config: cfg, Recipe: nas.DefaultRecipe(), Dataset: "example"})
		if err != nil {
			panic(err)
		}
		r, err := runner.New(cfg, l)
		if err != nil {
			panic(err)
		}
		if err := r.Run(context.Background(), ev); err != nil {
			panic(err)
		}
		l.Close()
		fmt.Printf("run %d: %d decisions, %d evaluations so far\n", run, len(r.Search().Decisions()), calls)
	}
	recs, warnings, _ := ledger.Read(path)
	fmt.Println(len(recs), "records,", len(warnings), "warnings")
	// Output:
	// run 0: 6 decisions, 6 evaluations so far
	// run 1: 6 decisions, 6 evaluations so far
	// 6 records, 0 warnings
}
