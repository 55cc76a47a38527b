package nas_test

import (
	"fmt"

	"github.com/trgnas/trgnas/nas"
)

// A notebook drives the search one candidate at a time: ask for the next
// candidate, train it, tell the result, read the decision.
func ExampleSearch_stepWise() {
	cfg := nas.DefaultConfig()
	cfg.MinDepth, cfg.MaxDepth = 3, 4
	s, err := nas.NewSearch(cfg)
	if err != nil {
		panic(err)
	}
	for _, acc := range []float64{90, 90.4} {
		a, stage, _ := s.Next()
		d, err := s.Tell(nas.Result{Arch: a, ValidAcc: acc, TrainAcc: 95})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %s: %s\n", stage, a.Key(), d.Reason)
	}
	fmt.Println(s.Notes()[0])
	a, stage, _ := s.Next()
	fmt.Println("next:", stage, a.Key())
	// Output:
	// depth w72-o000-k333: accepted: first candidate (90.00)
	// depth w72-o0000-k3333: accepted: 90.40 >= 90.00 + 0.25
	// depth stage ends: max depth 4 reached; current depth 4 width 72 ops [0 0 0 0] kernels [3 3 3 3] (90.40)
	// next: width w68-o0000-k3333
}

// A user may overrule the rules on the last candidate (a runner journals it).
func ExampleSearch_Override() {
	s, _ := nas.NewSearch(nas.DefaultConfig())
	s.Tell(nas.Result{ValidAcc: 90})
	d, _ := s.Tell(nas.Result{ValidAcc: 89}) // 11 layers: worse, the depth stage would end
	fmt.Println(d.Reason)
	d, _ = s.Override(true, "keep 11 layers")
	fmt.Println(d.Reason)
	a, stage, _ := s.Next()
	fmt.Println("next:", stage, a.Depth(), "layers")
	// Output:
	// rejected: 89.00 < 90.00 - 0.15
	// accepted by override (rules said "rejected: 89.00 < 90.00 - 0.15"): keep 11 layers
	// next: depth 12 layers
}
