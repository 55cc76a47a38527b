package conv_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// TestRunEpilogue: RunEpilogue gives the bits of Run followed by the
// epilogue over the whole output, for every kind of convolution the
// kernels run (GEMM work items with in-place and packed panels, a
// zero-padded input, a sum split by depth, depthwise ones), so every
// output row gets the epilogue exactly once (the one used is not
// idempotent); and the GEMM runs it in its work items.
func TestRunEpilogue(t *testing.T) {
	before := conv.EpilogueRowsInItems()
	for _, g := range []geom{{n: 4, h: 12, w: 12, ci: 3, co: 16, k: 3, s: 1}, {n: 4, h: 12, w: 12, ci: 24, co: 40, k: 3, s: 2},
		{n: 4, h: 10, w: 10, ci: 56, co: 56, k: 1, s: 1}, {n: 2, h: 9, w: 9, ci: 13, co: 21, k: 5, s: 1}, {n: 2, h: 16, w: 16, ci: 32, co: 32, k: 3, s: 1},
		{n: 4, h: 24, w: 24, ci: 3, co: 16, k: 3, s: 1}} { // the last: a kernel gradient split by depth
		for _, c := range configs {
			if c.dw && g.ci != g.co {
				continue
			}
			spec := c.spec(g)
			r := rand.New(rand.NewPCG(7, 8))
			x, k := randSlice[float32](r, size(spec.Input)), randSlice[float32](r, size(spec.Kernel))
			od, err := spec.Output()
			if err != nil {
				t.Fatal(err)
			}
			co := od[spec.Axes.OutputChannels]
			epi := func(rows []float32) {
				if len(rows)%co != 0 {
					t.Errorf("%s %v: epilogue got %d values, not whole rows of %d", c.name, g, len(rows), co)
					return
				}
				for i, v := range rows {
					rows[i] = v*float32(1+i%co) - 0.25
				}
			}
			want, got := make([]float32, size(od)), make([]float32, size(od))
			if err := conv.Run(spec, x, k, want, 2); err != nil {
				t.Fatalf("%s %v: %v", c.name, g, err)
			}
			epi(want)
			if err := conv.RunEpilogue(spec, x, k, got, epi, 2); err != nil {
				t.Fatalf("%s %v: %v", c.name, g, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s %v: RunEpilogue differs from Run and the epilogue after it", c.name, g)
			}
		}
	}
	if conv.EpilogueRowsInItems() == before {
		t.Error("no GEMM work item ran the epilogue on its rows")
	}
	s := forward(geom{n: 1, h: 4, w: 4, ci: 2, co: 3, k: 3, s: 1})
	s.Axes.OutputChannels, s.Axes.OutputSpatial = 1, []int{2, 3}
	if err := conv.RunEpilogue(s, make([]float32, 32), make([]float32, 54), make([]float32, 48), func([]float32) {}, 1); !errors.Is(err, conv.ErrSpec) {
		t.Errorf("output channels on axis 1: error %v, want one wrapping ErrSpec", err)
	}
}
