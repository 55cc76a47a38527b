package conv_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// Stats counts each kernel's calls and the multiply-adds of its
// convolutions (two flops each), and records nothing once switched off.
func TestStats(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	g := geom{n: 2, h: 8, w: 8, ci: 16, co: 24, k: 3, s: 1}
	d := geom{n: 2, h: 8, w: 8, ci: 16, co: 16, k: 3, s: 2}
	run := func(s conv.Spec) {
		t.Helper()
		od, err := s.Output()
		if err != nil {
			t.Fatal(err)
		}
		if err := conv.Run(s, randSlice[float32](r, size(s.Input)), randSlice[float32](r, size(s.Kernel)), make([]float32, size(od)), 2); err != nil {
			t.Fatal(err)
		}
	}
	conv.RecordStats(true)
	defer conv.RecordStats(false)
	run(forward(g))
	run(forward(g))
	run(dwForward(d))
	want := map[string]struct {
		calls int64
		flops float64
	}{
		"gemm":      {2, 2 * 2 * (2 * 8 * 8 * 24) * (3 * 3 * 16)}, // two runs, each output a sum over 3x3x16
		"depthwise": {1, 2 * (2 * 4 * 4 * 16) * (3 * 3)},          // stride 2: 4x4 outputs, one channel per group
	}
	got := conv.Stats()
	if len(got) != len(want) {
		t.Fatalf("stats %+v, want kernels %v", got, want)
	}
	for _, s := range got {
		w, ok := want[s.Kernel]
		if !ok || s.Calls != w.calls || s.Flops != w.flops || !(s.Seconds > 0) {
			t.Errorf("%+v, want %d calls, %g flops, some time", s, w.calls, w.flops)
		}
	}
	conv.RecordStats(false)
	run(forward(g))
	if s := conv.Stats(); len(s) != 0 {
		t.Errorf("recorded while off: %+v", s)
	}
}

// FMAPeak measures something positive where there is a vector path.
func TestFMAPeak(t *testing.T) {
	p := conv.FMAPeak(2)
	if math.IsNaN(p) || math.IsInf(p, 0) || p < 0 {
		t.Fatalf("FMAPeak = %v", p)
	}
	t.Logf("float32 FMA peak of 2 workers: %.0f GFLOP/s", p)
}
