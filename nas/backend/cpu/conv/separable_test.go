package conv_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// pointwise is the 1x1 convolution of a separable pair: x [n,h,w,ci] to
// co channels.
func pointwise(n, h, w, ci, co int) conv.Spec {
	return conv.Spec{Input: []int{n, h, w, ci}, Kernel: []int{1, 1, ci, co}, Axes: nhwc,
		Strides: []int{1, 1}, Paddings: [][2]int{{0, 0}, {0, 0}}}
}

// TestRunSeparable: RunSeparable gives the bits of Run (depthwise) then
// RunEpilogue (pointwise), in one pass where the kernels take the pair
// (dense and strided depthwise layers of every kernel size, channels that
// fill no vector, rows wider than a work item, float64, narrow outputs
// whose depthwise rows run over a zero-padded copy) and in two where they
// do not (a depthwise layer with a channel multiplier); and it rejects a
// pair whose shapes do not chain.
func TestRunSeparable(t *testing.T) {
	before, beforePadded := conv.SeparableRuns(), conv.SeparablePadded()
	type pair struct {
		g      geom // the depthwise layer (co: the pointwise outputs)
		mult   int  // depthwise channel multiplier (1: none)
		oneRun bool // RunSeparable runs it in one pass
	}
	pairs := []pair{
		{geom{n: 3, h: 14, w: 14, ci: 32, co: 64, k: 3, s: 1}, 1, true},
		{geom{n: 2, h: 15, w: 13, ci: 16, co: 32, k: 5, s: 2}, 1, true},
		{geom{n: 2, h: 9, w: 11, ci: 24, co: 40, k: 7, s: 1}, 1, true},
		{geom{n: 2, h: 7, w: 7, ci: 5, co: 3, k: 3, s: 1}, 1, true},
		{geom{n: 1, h: 3, w: 70, ci: 16, co: 24, k: 3, s: 1}, 1, true},
		{geom{n: 2, h: 8, w: 8, ci: 8, co: 16, k: 3, s: 1}, 2, false},
		// Padded copies per image: images larger than a work item, and
		// small ones several to an item (the last item short).
		{geom{n: 2, h: 20, w: 24, ci: 16, co: 16, k: 7, s: 1}, 1, true},
		{geom{n: 5, h: 4, w: 4, ci: 16, co: 24, k: 5, s: 1}, 1, true},
	}
	for _, c := range pairs {
		for _, workers := range []int{1, 3} {
			g := c.g
			dw := dwForward(geom{n: g.n, h: g.h, w: g.w, ci: g.ci, co: g.ci, k: g.k, s: g.s})
			dw.Kernel[3] = g.ci * c.mult
			ho, wo := g.outHW()
			pw := pointwise(g.n, ho, wo, g.ci*c.mult, g.co)
			r := rand.New(rand.NewPCG(9, 10))
			x, kd, kp := randSlice[float32](r, size(dw.Input)), randSlice[float32](r, size(dw.Kernel)), randSlice[float32](r, size(pw.Kernel))
			epi := func(rows []float32) {
				for i, v := range rows {
					rows[i] = v*float32(1+i%g.co) - 0.25
				}
			}
			mid := make([]float32, size(pw.Input))
			want, got := make([]float32, g.n*ho*wo*g.co), make([]float32, g.n*ho*wo*g.co)
			if err := conv.Run(dw, x, kd, mid, workers); err != nil {
				t.Fatalf("%v: %v", g, err)
			}
			if err := conv.RunEpilogue(pw, mid, kp, want, &conv.Epilogue[float32]{Rows: epi}, workers); err != nil {
				t.Fatalf("%v: %v", g, err)
			}
			runs := conv.SeparableRuns()
			if err := conv.RunSeparable(dw, pw, x, kd, kp, got, &conv.Epilogue[float32]{Rows: epi}, workers); err != nil {
				t.Fatalf("%v: %v", g, err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("%v multiplier %d, %d workers: RunSeparable differs from the two convolutions", g, c.mult, workers)
			}
			// An epilogue the micro kernels may apply in registers.
			aff := affineEpilogue(r, g.co, true)
			if err := conv.RunEpilogue(pw, mid, kp, want, aff, workers); err != nil {
				t.Fatalf("%v: %v", g, err)
			}
			if err := conv.RunSeparable(dw, pw, x, kd, kp, got, aff, workers); err != nil {
				t.Fatalf("%v: %v", g, err)
			}
			if i := firstDiff(got, want); i >= 0 {
				t.Errorf("%v multiplier %d, %d workers, affine epilogue: output %d is %v, want %v", g, c.mult, workers, i, got[i], want[i])
			}
			if one := conv.SeparableRuns() > runs; one != c.oneRun {
				t.Errorf("%v multiplier %d: ran in one pass %v, want %v", g, c.mult, one, c.oneRun)
			}
			// float64, no epilogue.
			x64, kd64, kp64 := widen(x), widen(kd), widen(kp)
			mid64, want64, got64 := make([]float64, len(mid)), make([]float64, len(want)), make([]float64, len(got))
			if err := conv.Run(dw, x64, kd64, mid64, workers); err != nil {
				t.Fatal(err)
			}
			if err := conv.Run(pw, mid64, kp64, want64, workers); err != nil {
				t.Fatal(err)
			}
			if err := conv.RunSeparable(dw, pw, x64, kd64, kp64, got64, nil, workers); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got64, want64) {
				t.Errorf("%v multiplier %d, %d workers, float64: RunSeparable differs from the two convolutions", g, c.mult, workers)
			}
		}
	}
	if conv.SeparableRuns() == before {
		t.Error("no pair ran in one pass")
	}
	if conv.SeparablePadded() == beforePadded {
		t.Error("no pair ran its depthwise rows over a padded copy")
	}
	g := geom{n: 1, h: 6, w: 6, ci: 4, co: 8, k: 3, s: 2}
	dw := dwForward(geom{n: 1, h: 6, w: 6, ci: 4, co: 4, k: 3, s: 2})
	pw := pointwise(1, 6, 6, 4, g.co) // the depthwise output is 3x3
	if err := conv.RunSeparable(dw, pw, make([]float32, 144), make([]float32, 36), make([]float32, 32), make([]float32, 288), nil, 1); !errors.Is(err, conv.ErrSpec) {
		t.Errorf("pointwise input 6x6 after a 3x3 depthwise output: error %v, want one wrapping ErrSpec", err)
	}
}

func widen(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
