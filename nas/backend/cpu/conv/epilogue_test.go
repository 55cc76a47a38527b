package conv_test

import (
	"errors"
	"math"
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
			if err := conv.RunEpilogue(spec, x, k, got, &conv.Epilogue[float32]{Rows: epi}, 2); err != nil {
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
	if err := conv.RunEpilogue(s, make([]float32, 32), make([]float32, 54), make([]float32, 48), &conv.Epilogue[float32]{Rows: func([]float32) {}}, 1); !errors.Is(err, conv.ErrSpec) {
		t.Errorf("output channels on axis 1: error %v, want one wrapping ErrSpec", err)
	}
	g := geom{n: 1, h: 4, w: 4, ci: 2, co: 3, k: 3, s: 1}
	for _, e := range []conv.Epilogue[float32]{{}, {Rows: func([]float32) {}, Scale: make([]float32, 3), Shift: make([]float32, 2)}} {
		if err := conv.RunEpilogue(forward(g), make([]float32, 32), make([]float32, 54), make([]float32, 48), &e, 1); !errors.Is(err, conv.ErrSpec) {
			t.Errorf("epilogue %d scales, %d shifts, Rows %v: error %v, want one wrapping ErrSpec", len(e.Scale), len(e.Shift), e.Rows != nil, err)
		}
	}
}

// affineEpilogue returns an Epilogue of co channels with coefficients
// (and its Rows in plain Go) whose outputs include -0 (scale 0, shift -0),
// NaN and infinities (scale +Inf, shift -Inf), so that the micro kernels'
// ReLU is checked against Go's max where it is subtle.
func affineEpilogue(r *rand.Rand, co int, relu bool) *conv.Epilogue[float32] {
	scale, shift := make([]float32, co), make([]float32, co)
	for c := range co {
		switch c % 5 {
		case 0:
			scale[c], shift[c] = 0, float32(math.Copysign(0, -1))
		case 1:
			scale[c], shift[c] = float32(math.Inf(1)), float32(math.Inf(-1))
		default:
			scale[c], shift[c] = r.Float32()+0.5, r.Float32()-0.5
		}
	}
	return &conv.Epilogue[float32]{Scale: scale, Shift: shift, ReLU: relu, Rows: func(rows []float32) {
		for i, v := range rows {
			v = float32(v*scale[i%co]) + shift[i%co]
			if relu {
				v = max(v, 0)
			}
			rows[i] = v
		}
	}}
}

// TestTileEpilogue: an epilogue with its coefficients, which the micro
// kernels apply to tiles as they store them straight into the output
// (forward GEMMs of one block of taps: packed and in-place panels, padded
// rows, the pointwise convolutions, whole and half last panels), gives
// the bits of Run followed by its Rows, with and without the ReLU, on
// every path; some rows get it in the micro kernels.
func TestTileEpilogue(t *testing.T) {
	before := conv.EpilogueRowsInTiles()
	for _, g := range []geom{{n: 2, h: 12, w: 16, ci: 3, co: 32, k: 3, s: 1}, {n: 2, h: 16, w: 16, ci: 16, co: 16, k: 5, s: 1},
		{n: 2, h: 16, w: 16, ci: 16, co: 56, k: 3, s: 2}, {n: 3, h: 8, w: 8, ci: 32, co: 64, k: 1, s: 1}, {n: 2, h: 8, w: 8, ci: 24, co: 24, k: 1, s: 1},
		{n: 2, h: 10, w: 10, ci: 16, co: 40, k: 3, s: 1}, {n: 2, h: 9, w: 9, ci: 32, co: 48, k: 7, s: 1},
		{n: 2, h: 8, w: 8, ci: 16, co: 48, k: 3, s: 1}, {n: 2, h: 8, w: 8, ci: 24, co: 48, k: 1, s: 1},
		{n: 1, h: 9, w: 8, ci: 64, co: 32, k: 7, s: 1}} { // the last: two blocks of taps, the epilogue after them
		for _, relu := range []bool{false, true} {
			for _, workers := range []int{1, 2} {
				spec := forward(g)
				r := rand.New(rand.NewPCG(11, 12))
				x, k := randSlice[float32](r, size(spec.Input)), randSlice[float32](r, size(spec.Kernel))
				od, err := spec.Output()
				if err != nil {
					t.Fatal(err)
				}
				epi := affineEpilogue(r, g.co, relu)
				want, got := make([]float32, size(od)), make([]float32, size(od))
				if err := conv.Run(spec, x, k, want, workers); err != nil {
					t.Fatalf("%v: %v", g, err)
				}
				epi.Rows(want)
				if err := conv.RunEpilogue(spec, x, k, got, epi, workers); err != nil {
					t.Fatalf("%v: %v", g, err)
				}
				if i := firstDiff(got, want); i >= 0 {
					t.Errorf("%v ReLU %v, %d workers: output %d is %v (bits %#x), want %v (bits %#x)", g, relu, workers, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
	if conv.AsmTiles() && conv.EpilogueRowsInTiles() == before {
		t.Error("no micro kernel applied the epilogue")
	}
}

// firstDiff is the first index where a and b differ in their bits, or -1;
// NaNs count as equal whatever their payloads (which Go's max leaves
// open, and the vector instructions set otherwise than Go's code).
func firstDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}
