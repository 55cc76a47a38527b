package conv_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// TestDepthwiseRows checks the depthwise forward and input gradient on
// rows wide enough for the vector row kernels' blocks of four outputs
// and their tails, for kernels 3, 5 and 7, strides 1 and 2 (the input
// gradient of stride 2 is the input-dilated case, one row per column
// phase), odd sizes and channel counts that are and are not multiples
// of 8, against Reference in float32 and float64.
func TestDepthwiseRows(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var gs []geom
	for _, k := range []int{3, 5, 7} {
		for _, s := range []int{1, 2} {
			gs = append(gs, geom{2, 13, 21, 24, 24, k, s}, geom{1, 11, 18, 11, 11, k, s}, geom{1, 9, 23, 20, 20, k, s})
		}
	}
	for _, g := range gs {
		for _, c := range []struct {
			name string
			spec conv.Spec
		}{{"dwForward", dwForward(g)}, {"dwInputGrad", dwInputGrad(g)}} {
			t.Run(c.name+"/"+g.String()+"/float32", func(t *testing.T) { checkRun[float32](t, r, c.spec, 1e-4) })
			t.Run(c.name+"/"+g.String()+"/float64", func(t *testing.T) { checkRun[float64](t, r, c.spec, 1e-10) })
		}
	}
}

// TestDepthwiseKernelGradOrder: the depthwise kernel gradient gives the
// same bits with the kernel rows inside or outside the positions (each
// position's terms are summed in the same order), for kernels 3, 5 and 7,
// strides 1 and 2, channel counts that are and are not multiples of 8.
func TestDepthwiseKernelGradOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, g := range []geom{{3, 13, 21, 24, 24, 3, 1}, {2, 11, 18, 11, 11, 5, 2}, {2, 9, 12, 20, 20, 7, 1}, {2, 10, 10, 16, 16, 3, 2}} {
		spec := dwKernelGrad(g)
		x, k := randSlice[float32](r, size(spec.Input)), randSlice[float32](r, size(spec.Kernel))
		od, err := spec.Output()
		if err != nil {
			t.Fatal(err)
		}
		inside, outside := make([]float32, size(od)), make([]float32, size(od))
		restore := conv.SetRowsOutsideBytes(1 << 62)
		err = conv.Run(spec, x, k, inside, 2)
		restore()
		if err != nil {
			t.Fatal(err)
		}
		restore = conv.SetRowsOutsideBytes(0)
		err = conv.Run(spec, x, k, outside, 2)
		restore()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(inside, outside) {
			t.Errorf("%v: kernel rows outside the positions give other bits", g)
		}
		checkRun[float32](t, r, spec, 1e-4)
	}
}
