package cpu_test

import (
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// An output of one graph feeds another on the same backend: GoMLX refuses
// a tensor whose buffer names another backend as its owner.
func TestOutputsFeedBack(t *testing.T) {
	be := newGofill(t, "")
	out, err := graph.ExecOnce(be, func(x *graph.Node) *graph.Node { return graph.AddScalar(x, 1) }, []float32{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := out.Backend(); err != nil || b != be {
		t.Fatalf("output's backend %v (%v), want this backend", b, err)
	}
	again, err := graph.ExecOnce(be, func(x *graph.Node) *graph.Node { return graph.MulScalar(x, 2) }, out)
	if err != nil {
		t.Fatal(err)
	}
	if got := tensors.MustCopyFlatData[float32](again); got[0] != 4 || got[1] != 6 {
		t.Errorf("2*(x+1) = %v, want [4 6]", got)
	}
}
