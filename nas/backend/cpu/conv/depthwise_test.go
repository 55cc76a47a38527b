package conv_test

import (
	"math/rand/v2"
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
