package replay_test

import (
	"context"
	"fmt"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/replay"
)

// Replaying the published log re-makes its decisions without training.
func ExampleRun() {
	lg, err := replay.ParseFile("../testdata/trgnas-cifar10-searchlog.txt")
	if err != nil {
		panic(err)
	}
	cfg, _ := lg.Config()
	s, err := replay.Run(context.Background(), lg, cfg)
	if err != nil {
		panic(err)
	}
	a, res, _ := s.Best()
	fmt.Println(len(s.Decisions()), "candidates")
	fmt.Println(a)
	fmt.Printf("%s parameters, %.2f%%\n", nas.Thousands(a.Params(3, 10)), res.ValidAcc)
	// Output:
	// 46 candidates
	// depth 16 width 56 ops [1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0] kernels [3 3 3 3 3 3 3 3 3 3 3 3 3 3 3 3]
	// 453,498 parameters, 96.00%
}
