package replay_test

import "testing"

// The published log's candidates carry MACs (for one 32x32 CIFAR-10 image)
// as well as parameters, so plots of accuracy against cost work on replays.
func TestPublishedLogResultsHaveMACs(t *testing.T) {
	lg := parsePublishedLog(t)
	for i, c := range lg.Candidates {
		r := c.Result(3, 10)
		if want := c.Arch.MACs(32, 32, 3, 10); r.MACs != want || r.MACs <= 0 {
			t.Errorf("candidate %d %s: MACs %d, want %d (> 0)", i, c.Arch.Key(), r.MACs, want)
		}
	}
	// The first candidate, width 72 depth 10 all SepConv 3x3, does about 61 M
	// multiply-adds per image (toolchain notes).
	if m := lg.Candidates[0].Result(3, 10).MACs; m < 55e6 || m > 70e6 {
		t.Errorf("first candidate: %d MACs, want about 61 M", m)
	}
}
