package conv_test

import (
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
			r := rand.New(rand.NewPCG(3, 4))
			x, k := randSlice[float32](r, size(c.spec.Input)), randSlice[float32](r, size(c.spec.Kernel))
			od, err := c.spec.Output()
			if err != nil {
				t.Fatalf("%s %v: %v", c.name, g, err)
			}
			wide, narrow := make([]float32, size(od)), make([]float32, size(od))
			if err := conv.Run(c.spec, x, k, wide, 2); err != nil {
				t.Fatalf("%s %v: %v", c.name, g, err)
			}
			restore := conv.UseAVX512(false)
			err = conv.Run(c.spec, x, k, narrow, 2)
			restore()
			if err != nil {
				t.Fatalf("%s %v: %v", c.name, g, err)
			}
			if !slices.Equal(wide, narrow) {
				t.Errorf("%s %v: AVX-512 and AVX2 results differ", c.name, g)
			}
		}
	}
}
