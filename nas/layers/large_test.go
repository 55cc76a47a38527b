package layers_test

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/layers"
)

// refConvGrads returns the gradients of sum(conv(x, w) * r) with respect to
// x and w by direct loops ("same" padding k/2; dense, or depthwise with
// kernel [k,k,1,C] and cin = cout = C).
func refConvGrads(x []float64, n, h, w, cin int, ker []float64, k, cout, stride int, r []float64, depthwise bool) (dx, dw []float64) {
	p := k / 2
	ho, wo := (h+2*p-k)/stride+1, (w+2*p-k)/stride+1
	dx, dw = make([]float64, len(x)), make([]float64, len(ker))
	for b := range n {
		for i := range ho {
			for j := range wo {
				for di := range k {
					for dj := range k {
						row, col := i*stride+di-p, j*stride+dj-p
						if row < 0 || row >= h || col < 0 || col >= w {
							continue
						}
						if depthwise {
							for c := range cout {
								ri, xi, wi := ((b*ho+i)*wo+j)*cout+c, ((b*h+row)*w+col)*cin+c, (di*k+dj)*cout+c
								dx[xi] += r[ri] * ker[wi]
								dw[wi] += r[ri] * x[xi]
							}
							continue
						}
						for ci := range cin {
							xi := ((b*h+row)*w+col)*cin + ci
							for co := range cout {
								ri := ((b*ho+i)*wo+j)*cout + co
								wi := ((di*k+dj)*cin+ci)*cout + co
								dx[xi] += r[ri] * ker[wi]
								dw[wi] += r[ri] * x[xi]
							}
						}
					}
				}
			}
		}
	}
	return dx, dw
}

// TestConv2DLarge checks values and gradients of a convolution of model size
// (48x48, 3 input and 16 output channels, enough work for several workers
// of the convolution kernels) against direct loops.
func TestConv2DLarge(t *testing.T) {
	b := newBackend(t)
	for _, stride := range []int{1, 2} {
		const n, h, w, cin, cout, k = 2, 48, 48, 3, 16, 3
		rng := rand.New(rand.NewPCG(31, uint64(stride)))
		x, ker := randn(rng, n*h*w*cin), randn(rng, k*k*cin*cout)
		want, yDims := refConv(x, n, h, w, cin, ker, k, cout, stride, false)
		r := randn(rng, prod(yDims))
		wantDx, wantDw := refConvGrads(x, n, h, w, cin, ker, k, cout, stride, r, false)
		outs, err := graph.MustNewExec(b, func(x, w, r *graph.Node) []*graph.Node {
			y := layers.Conv2D(x, w, stride)
			return append([]*graph.Node{y}, graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), x, w)...)
		}).Call(tensors.FromFlatDataAndDimensions(x, n, h, w, cin), tensors.FromFlatDataAndDimensions(ker, k, k, cin, cout),
			tensors.FromFlatDataAndDimensions(r, yDims...))
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "y", tensors.MustCopyFlatData[float64](outs[0]), want, 1e-12)
		assertClose(t, "dx", tensors.MustCopyFlatData[float64](outs[1]), wantDx, 1e-12)
		assertClose(t, "dw", tensors.MustCopyFlatData[float64](outs[2]), wantDw, 1e-12)
	}
}

// TestDotLarge checks Dot where the project's CPU backend chunks the
// product (n = 8 columns, 4096 rows).
func TestDotLarge(t *testing.T) {
	b := newBackend(t)
	const m, k, n = 4096, 24, 8
	rng := rand.New(rand.NewPCG(41, 42))
	a, bb, r := randn(rng, m*k), randn(rng, k*n), randn(rng, m*n)
	want, da, db := make([]float64, m*n), make([]float64, m*k), make([]float64, k*n)
	for i := range m {
		for j := range n {
			for l := range k {
				want[i*n+j] += a[i*k+l] * bb[l*n+j]
				da[i*k+l] += r[i*n+j] * bb[l*n+j]
				db[l*n+j] += a[i*k+l] * r[i*n+j]
			}
		}
	}
	outs, g, err := graph.MustNewExec(b, func(a, b, r *graph.Node) []*graph.Node {
		y := layers.Dot(a, b)
		return append([]*graph.Node{y}, graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), a, b)...)
	}).CallWithGraph(tensors.FromFlatDataAndDimensions(a, m, k), tensors.FromFlatDataAndDimensions(bb, k, n), tensors.FromFlatDataAndDimensions(r, m, n))
	if err != nil {
		t.Fatal(err)
	}
	chunked := false
	for _, node := range g.Nodes() {
		chunked = chunked || (node.Type() == graph.NodeTypeDotGeneral && node.Rank() == 3)
	}
	// Dot chunks the product only on the project's CPU backend (see matmul).
	if want := b.String() == backend.CPUName; chunked != want {
		t.Errorf("backend %s: chunked (batched) matrix product in the graph %v, want %v", b.String(), chunked, want)
	}
	assertClose(t, "y", tensors.MustCopyFlatData[float64](outs[0]), want, 1e-12)
	assertClose(t, "da", tensors.MustCopyFlatData[float64](outs[1]), da, 1e-12)
	assertClose(t, "db", tensors.MustCopyFlatData[float64](outs[2]), db, 1e-12)
}

// TestDepthwiseConv2DLarge is TestConv2DLarge for a depthwise convolution
// (48x48, 16 channels).
func TestDepthwiseConv2DLarge(t *testing.T) {
	b := newBackend(t)
	for _, stride := range []int{1, 2} {
		const n, h, w, c, k = 2, 48, 48, 16, 3
		rng := rand.New(rand.NewPCG(51, uint64(stride)))
		x, ker := randn(rng, n*h*w*c), randn(rng, k*k*c)
		want, yDims := refConv(x, n, h, w, c, ker, k, c, stride, true)
		r := randn(rng, prod(yDims))
		wantDx, wantDw := refConvGrads(x, n, h, w, c, ker, k, c, stride, r, true)
		outs, err := graph.MustNewExec(b, func(x, w, r *graph.Node) []*graph.Node {
			y := layers.DepthwiseConv2D(x, w, stride)
			return append([]*graph.Node{y}, graph.Gradient(graph.ReduceAllSum(graph.Mul(y, r)), x, w)...)
		}).Call(tensors.FromFlatDataAndDimensions(x, n, h, w, c), tensors.FromFlatDataAndDimensions(ker, k, k, 1, c),
			tensors.FromFlatDataAndDimensions(r, yDims...))
		if err != nil {
			t.Fatal(err)
		}
		assertClose(t, "y", tensors.MustCopyFlatData[float64](outs[0]), want, 1e-12)
		assertClose(t, "dx", tensors.MustCopyFlatData[float64](outs[1]), wantDx, 1e-12)
		assertClose(t, "dw", tensors.MustCopyFlatData[float64](outs[2]), wantDw, 1e-12)
	}
}
