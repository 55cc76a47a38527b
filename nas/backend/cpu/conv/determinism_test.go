package conv_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// TestRunDeterministic runs each model convolution repeatedly on two
// workers: every run must give the same bits, whichever goroutine happens
// to take which piece of work (a search's results must be reproducible).
func TestRunDeterministic(t *testing.T) {
	for _, g := range []geom{{n: 32, h: 16, w: 16, ci: 8, co: 16, k: 7, s: 1}, {n: 32, h: 16, w: 16, ci: 16, co: 16, k: 3, s: 2}, {n: 32, h: 16, w: 16, ci: 24, co: 40, k: 1, s: 1}} {
		for _, c := range []struct {
			name string
			spec conv.Spec
		}{
			{"forward", forward(g)}, {"inputGrad", inputGrad(g)}, {"kernelGrad", kernelGrad(g, true)},
			{"dwForward", dwForward(g)}, {"dwInputGrad", dwInputGrad(g)}, {"dwKernelGrad", dwKernelGrad(g)},
		} {
			r := rand.New(rand.NewPCG(1, 2))
			x, k := randSlice[float32](r, size(c.spec.Input)), randSlice[float32](r, size(c.spec.Kernel))
			od, err := c.spec.Output()
			if err != nil {
				t.Fatalf("%s %v: %v", c.name, g, err)
			}
			first := make([]float32, size(od))
			if err := conv.Run(c.spec, x, k, first, 2); err != nil {
				t.Fatalf("%s %v: %v", c.name, g, err)
			}
			out := make([]float32, size(od))
			for run := range 20 {
				if err := conv.Run(c.spec, x, k, out, 2); err != nil {
					t.Fatalf("%s %v: %v", c.name, g, err)
				}
				if !slices.Equal(out, first) {
					t.Errorf("%s %v: run %d differs from the first", c.name, g, run+1)
					break
				}
			}
		}
	}
}
