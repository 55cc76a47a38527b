package conv_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
	"github.com/trgnas/trgnas/nas/backend/cpu/internal/isa"
)

// TestPathsSameBits: the AVX-512 and AVX2 kernels (GEMM micro kernel,
// depthwise rows) sum every output over the same steps in the same order,
// so every convolution gives the same bits on both paths (a search's
// results do not depend on the CPU's vector width).
func TestPathsSameBits(t *testing.T) {
	if !isa.AVX512 {
		t.Skip("AVX-512 path not in use (CPU or " + isa.EnvVar + "): nothing to compare")
	}
	for _, g := range []geom{{n: 8, h: 12, w: 12, ci: 3, co: 16, k: 3, s: 1}, {n: 8, h: 12, w: 12, ci: 24, co: 40, k: 3, s: 2}, {n: 8, h: 12, w: 12, ci: 56, co: 56, k: 1, s: 1}, {n: 4, h: 9, w: 9, ci: 13, co: 21, k: 5, s: 1},
		{n: 4, h: 10, w: 10, ci: 40, co: 40, k: 3, s: 1}, {n: 4, h: 10, w: 10, ci: 56, co: 56, k: 5, s: 2}, {n: 4, h: 10, w: 10, ci: 32, co: 32, k: 7, s: 1}} {
		for _, c := range []struct {
			name string
			spec conv.Spec
		}{
			{"forward", forward(g)}, {"inputGrad", inputGrad(g)}, {"kernelGrad", kernelGrad(g, false)}, {"kernelGradHWIO", kernelGrad(g, true)},
			{"dwForward", dwForward(g)}, {"dwInputGrad", dwInputGrad(g)}, {"dwKernelGrad", dwKernelGrad(g)},
		} {
			if c.name[:2] == "dw" && g.ci != g.co {
				continue
			}
			if !sameBitsWith(t, c.name, g, c.spec, 3, func() func() { return conv.UseAVX512(false) }) {
				t.Errorf("%s %v: AVX-512 and AVX2 results differ", c.name, g)
			}
		}
	}
}

// TestDirectSameBits: a panel of A read in place (from the input, or from
// its zero-padded copy) sums the same products in the same order as a
// packed one, so convolutions give the same bits either way; and in-place
// panels and padded copies with the output rows as they are are used.
// The shapes have widths that panels do not divide, padding, 1 input
// channel, fewer output channels than a tile, stride 2 (in place away
// from the borders only, or everywhere in a padded copy when the output
// width is whole panels), and stems of 2 and 3 channels.
func TestDirectSameBits(t *testing.T) {
	before, beforeRows := conv.DirectPanels(), conv.PaddedRowsRuns()
	for _, g := range []geom{{n: 2, h: 28, w: 28, ci: 12, co: 24, k: 5, s: 1}, {n: 2, h: 28, w: 28, ci: 1, co: 24, k: 3, s: 1},
		{n: 2, h: 14, w: 14, ci: 24, co: 48, k: 7, s: 1}, {n: 2, h: 20, w: 20, ci: 16, co: 16, k: 5, s: 2},
		{n: 2, h: 9, w: 9, ci: 13, co: 21, k: 3, s: 1}, {n: 2, h: 16, w: 16, ci: 80, co: 40, k: 3, s: 1},
		{n: 2, h: 16, w: 16, ci: 16, co: 32, k: 3, s: 2}, {n: 2, h: 15, w: 15, ci: 16, co: 20, k: 5, s: 2}, {n: 3, h: 8, w: 8, ci: 24, co: 40, k: 7, s: 1},
		{n: 2, h: 16, w: 16, ci: 3, co: 32, k: 3, s: 1}, {n: 2, h: 8, w: 8, ci: 2, co: 16, k: 3, s: 1}} {
		for _, c := range []struct {
			name string
			spec conv.Spec
		}{
			{"forward", forward(g)}, {"inputGrad", inputGrad(g)}, {"kernelGrad", kernelGrad(g, false)}, {"kernelGradHWIO", kernelGrad(g, true)},
		} {
			if !sameBitsWith(t, c.name, g, c.spec, 5, func() func() { return conv.UseDirect(false) }) {
				t.Errorf("%s %v: in-place and packed panels give other bits", c.name, g)
			}
		}
	}
	if conv.DirectPanels() == before {
		t.Error("no panel was read in place")
	}
	if conv.PaddedRowsRuns() == beforeRows {
		t.Error("no GEMM ran over a padded copy with the output rows as they are")
	}
}

// sameBitsWith runs spec on random operands (seeded by seed) as things
// are and again under other(), which returns the function that restores
// them, and reports whether both outputs have the same bits.
func sameBitsWith(t *testing.T, name string, g geom, spec conv.Spec, seed uint64, other func() (restore func())) bool {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	x, k := randSlice[float32](r, size(spec.Input)), randSlice[float32](r, size(spec.Kernel))
	od, err := spec.Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, g, err)
	}
	a, b := make([]float32, size(od)), make([]float32, size(od))
	if err := conv.Run(spec, x, k, a, 2); err != nil {
		t.Fatalf("%s %v: %v", name, g, err)
	}
	restore := other()
	err = conv.Run(spec, x, k, b, 2)
	restore()
	if err != nil {
		t.Fatalf("%s %v: %v", name, g, err)
	}
	return slices.Equal(a, b)
}

// BenchmarkDirect times convolutions with panels read in place and with
// every panel packed: the forward pass and the input gradient of stride-1
// convolutions with few channels, where packing costs most.
func BenchmarkDirect(b *testing.B) {
	for _, g := range []geom{{n: 32, h: 28, w: 28, ci: 12, co: 24, k: 5, s: 1}, {n: 64, h: 32, w: 32, ci: 16, co: 16, k: 5, s: 1},
		{n: 64, h: 32, w: 32, ci: 16, co: 16, k: 7, s: 1}, {n: 64, h: 16, w: 16, ci: 32, co: 32, k: 3, s: 1}} {
		for _, c := range []struct {
			name string
			spec conv.Spec
		}{{"forward", forward(g)}, {"inputGrad", inputGrad(g)}} {
			r := rand.New(rand.NewPCG(7, 8))
			x, k := randSlice[float32](r, size(c.spec.Input)), randSlice[float32](r, size(c.spec.Kernel))
			od, _ := c.spec.Output()
			out := make([]float32, size(od))
			for _, on := range []bool{false, true} {
				name := map[bool]string{false: "packed", true: "direct"}[on]
				b.Run(fmt.Sprintf("%s/%dx%d_c%d_k%d/%s", c.name, g.h, g.w, g.ci, g.k, name), func(b *testing.B) {
					defer conv.UseDirect(on)()
					for b.Loop() {
						if err := conv.Run(c.spec, x, k, out, 1); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
