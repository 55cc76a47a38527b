package nas_test

import (
	"fmt"

	"github.com/trgnas/trgnas/nas"
)

// With 4 slots, the search starts its first candidate and three predicted
// ones along the likely outcomes: two deeper networks, neither accepted
// (the depth stage goes on to its maximum depth 5), then the first
// narrower network of the width stage, which starts from depth 3.
func ExampleSearch_Lookahead() {
	cfg := nas.DefaultConfig()
	cfg.MinDepth, cfg.MaxDepth, cfg.MinWidth, cfg.MaxWidth, cfg.WidthStep = 3, 5, 8, 16, 4
	s, err := nas.NewSearch(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range s.Lookahead(4) {
		fmt.Println(c.Stage, c.Arch.Key())
	}
	// Output:
	// depth w16-o000-k333
	// depth w16-o0000-k3333
	// depth w16-o00000-k33333
	// width w12-o000-k333
}
