package cpu_test

import (
	"math"
	"slices"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/trgnas/trgnas/nas/backend/cpu"
)

// Kernel steps' outputs are reused (poisoned with NaN in between, see
// export_test.go) within a graph and across executions, with the same
// results every time.
func TestPooledOutputsReused(t *testing.T) {
	be := newGofill(t, "")
	exec, err := graph.NewExec(be, func(x, k *graph.Node) *graph.Node {
		conv := func(x *graph.Node) *graph.Node {
			return graph.Convolve(x, k).ChannelsAxis(3).PadSame().Done()
		}
		y := graph.Max(conv(x), graph.ScalarZero(x.Graph(), dtypes.Float32))
		y = graph.Max(conv(y), graph.ScalarZero(x.Graph(), dtypes.Float32))
		return graph.ReduceSum(conv(y), 0, 1, 2)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	x := make([]float32, 4*16*16*8)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
	}
	k := make([]float32, 3*3*8*8)
	for i := range k {
		k[i] = float32(math.Cos(float64(i))) / 8
	}
	var first []float32
	var returned int64
	for run := range 3 {
		out, err := exec.Exec(tensors.FromFlatDataAndDimensions(x, 4, 16, 16, 8), tensors.FromFlatDataAndDimensions(k, 3, 3, 8, 8))
		if err != nil {
			t.Fatal(err)
		}
		got := tensors.MustCopyFlatData[float32](out[0])
		for _, v := range got {
			if math.IsNaN(float64(v)) {
				t.Fatalf("run %d: NaN in %v: a kernel read a pooled element it did not write", run, got)
			}
		}
		if run == 0 {
			first = got
		} else if !slices.Equal(got, first) {
			t.Fatalf("run %d: %v, first run %v", run, got, first)
		}
		if n := cpu.PooledReturned(be); n <= returned {
			t.Errorf("run %d: no buffer given back for reuse (%d in all)", run, n)
		} else {
			returned = n
		}
	}
}
