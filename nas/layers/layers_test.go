package layers_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/trgnas/trgnas/nas/backend/cpu"
	"github.com/trgnas/trgnas/nas/layers"
)

// newBackend returns the project's CPU backend with its default options.
func newBackend(t testing.TB) compute.Backend {
	t.Helper()
	b, err := cpu.New("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Finalize)
	return b
}

func randn(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func prod(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// refConv is a naive NHWC convolution with "same" padding k/2; kernel
// [k,k,cinK,cout]; depthwise when cinK == 1 and cout == cin.
func refConv(x []float64, n, h, w, cin int, ker []float64, k, cout, stride int, depthwise bool) ([]float64, []int) {
	p := k / 2
	ho, wo := (h+2*p-k)/stride+1, (w+2*p-k)/stride+1
	out := make([]float64, n*ho*wo*cout)
	for b := range n {
		for i := range ho {
			for j := range wo {
				for co := range cout {
					sum := 0.0
					for di := range k {
						for dj := range k {
							r, c := i*stride+di-p, j*stride+dj-p
							if r < 0 || r >= h || c < 0 || c >= w {
								continue
							}
							if depthwise {
								sum += x[((b*h+r)*w+c)*cin+co] * ker[(di*k+dj)*cout+co]
								continue
							}
							for ci := range cin {
								sum += x[((b*h+r)*w+c)*cin+ci] * ker[((di*k+dj)*cin+ci)*cout+co]
							}
						}
					}
					out[((b*ho+i)*wo+j)*cout+co] = sum
				}
			}
		}
	}
	return out, []int{n, ho, wo, cout}
}

func closeTo(a, b, tol float64) bool {
	return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b)))
}

// gradCheck compares the gradients of loss(x, w) = sum(f(x, w) * r) with
// central finite differences for every entry of x and w.
func gradCheck(t *testing.T, b compute.Backend, f func(x, w *graph.Node) *graph.Node,
	x []float64, xDims []int, w []float64, wDims []int, yDims []int, rng *rand.Rand) {
	t.Helper()
	r := randn(rng, prod(yDims))
	lossFn := func(x, w, r *graph.Node) *graph.Node {
		return graph.ReduceAllSum(graph.Mul(f(x, w), r))
	}
	gradExec := graph.MustNewExec(b, func(x, w, r *graph.Node) []*graph.Node {
		loss := lossFn(x, w, r)
		return append([]*graph.Node{loss}, graph.Gradient(loss, x, w)...)
	})
	lossExec := graph.MustNewExec(b, lossFn)
	rT := tensors.FromFlatDataAndDimensions(r, yDims...)
	loss := func(x, w []float64) float64 {
		out, err := lossExec.Call1(tensors.FromFlatDataAndDimensions(x, xDims...), tensors.FromFlatDataAndDimensions(w, wDims...), rT)
		if err != nil {
			t.Fatal(err)
		}
		return tensors.ToScalar[float64](out)
	}
	outs, err := gradExec.Call(tensors.FromFlatDataAndDimensions(x, xDims...), tensors.FromFlatDataAndDimensions(w, wDims...), rT)
	if err != nil {
		t.Fatal(err)
	}
	const h, tol = 1e-5, 1e-6
	for which, v := range [][]float64{x, w} {
		grad := tensors.MustCopyFlatData[float64](outs[1+which])
		if len(grad) != len(v) {
			t.Fatalf("gradient %d has %d entries, want %d", which, len(grad), len(v))
		}
		bad := 0
		for i := range v {
			orig := v[i]
			v[i] = orig + h
			lp := loss(x, w)
			v[i] = orig - h
			lm := loss(x, w)
			v[i] = orig
			fd := (lp - lm) / (2 * h)
			if !closeTo(grad[i], fd, tol) {
				if bad++; bad <= 5 {
					t.Errorf("d/d%s[%d] = %.10g, finite difference %.10g", []string{"x", "w"}[which], i, grad[i], fd)
				}
			}
		}
	}
}

func TestConv2D(t *testing.T) {
	b := newBackend(t)
	const n, cin, cout = 2, 3, 4
	for _, size := range [][2]int{{6, 6}, {7, 7}, {7, 6}} {
		for _, k := range []int{1, 3, 5, 7} {
			for _, stride := range []int{1, 2} {
				h, w := size[0], size[1]
				t.Run(fmt.Sprintf("h%d_w%d_k%d_s%d", h, w, k, stride), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(k), uint64(stride)))
					x := randn(rng, n*h*w*cin)
					ker := randn(rng, k*k*cin*cout)
					want, yDims := refConv(x, n, h, w, cin, ker, k, cout, stride, false)
					checkConv(t, b, func(x, w *graph.Node) *graph.Node { return layers.Conv2D(x, w, stride) },
						x, []int{n, h, w, cin}, ker, []int{k, k, cin, cout}, want, yDims, rng)
				})
			}
		}
	}
}

// checkConv runs conv on x and ker, compares the output with want (shaped
// yDims) and checks its gradients against finite differences.
func checkConv(t *testing.T, b compute.Backend, conv func(x, w *graph.Node) *graph.Node,
	x []float64, xDims []int, ker []float64, kDims []int, want []float64, yDims []int, rng *rand.Rand) {
	t.Helper()
	got, err := graph.CallOnce(b, conv, tensors.FromFlatDataAndDimensions(x, xDims...), tensors.FromFlatDataAndDimensions(ker, kDims...))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Shape().Dimensions) != fmt.Sprint(yDims) {
		t.Fatalf("shape %v, want %v", got.Shape().Dimensions, yDims)
	}
	for i, v := range tensors.MustCopyFlatData[float64](got) {
		if !closeTo(v, want[i], 1e-12) {
			t.Fatalf("y[%d] = %g, want %g", i, v, want[i])
		}
	}
	gradCheck(t, b, conv, x, xDims, ker, kDims, yDims, rng)
}

func TestDepthwiseConv2D(t *testing.T) {
	b := newBackend(t)
	const n, c = 2, 3
	for _, size := range []int{6, 7} {
		for _, k := range []int{3, 5, 7} {
			for _, stride := range []int{1, 2} {
				t.Run(fmt.Sprintf("h%d_k%d_s%d", size, k, stride), func(t *testing.T) {
					h, w := size, size
					rng := rand.New(rand.NewPCG(uint64(k), uint64(10+stride)))
					x := randn(rng, n*h*w*c)
					ker := randn(rng, k*k*c)
					want, yDims := refConv(x, n, h, w, c, ker, k, c, stride, true)
					checkConv(t, b, func(x, w *graph.Node) *graph.Node { return layers.DepthwiseConv2D(x, w, stride) },
						x, []int{n, h, w, c}, ker, []int{k, k, 1, c}, want, yDims, rng)
				})
			}
		}
	}
}

func TestDot(t *testing.T) {
	b := newBackend(t)
	const m, k, n = 5, 4, 3
	rng := rand.New(rand.NewPCG(7, 7))
	a, bb := randn(rng, m*k), randn(rng, k*n)
	got, err := graph.CallOnce(b, layers.Dot, tensors.FromFlatDataAndDimensions(a, m, k), tensors.FromFlatDataAndDimensions(bb, k, n))
	if err != nil {
		t.Fatal(err)
	}
	flat := tensors.MustCopyFlatData[float64](got)
	for i := range m {
		for j := range n {
			want := 0.0
			for l := range k {
				want += a[i*k+l] * bb[l*n+j]
			}
			if !closeTo(flat[i*n+j], want, 1e-12) {
				t.Errorf("y[%d,%d] = %g, want %g", i, j, flat[i*n+j], want)
			}
		}
	}
	gradCheck(t, b, layers.Dot, a, []int{m, k}, bb, []int{k, n}, []int{m, n}, rng)
}

// The gradient graphs of Dot and Conv2D must hold no tensor of the size of
// the full [m,n,k] product that GoMLX's own Dot gradient materialises.
func TestGradientMemory(t *testing.T) {
	b := newBackend(t)
	tests := []struct {
		name       string
		f          func(x, w *graph.Node) *graph.Node
		xDims      []int
		wDims      []int
		productMax int // size of the [m,n,k] tensor
	}{
		{"Dot", layers.Dot, []int{256, 64}, []int{64, 32}, 256 * 64 * 32},
		{"Conv2D", func(x, w *graph.Node) *graph.Node { return layers.Conv2D(x, w, 1) },
			[]int{4, 8, 8, 8}, []int{3, 3, 8, 16}, 4 * 8 * 8 * 9 * 8 * 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := graph.MustNewExec(b, func(x, w *graph.Node) []*graph.Node {
				return graph.Gradient(graph.ReduceAllSum(graph.Square(tc.f(x, w))), x, w)
			})
			_, g, err := e.CallWithGraph(tensors.FromShape(shapesOf(tc.xDims)), tensors.FromShape(shapesOf(tc.wDims)))
			if err != nil {
				t.Fatal(err)
			}
			largest := 0
			for _, node := range g.Nodes() {
				if node.NumOutputs() == 1 {
					largest = max(largest, node.Shape().Size())
				}
			}
			if largest*8 > tc.productMax {
				t.Errorf("largest tensor in the gradient graph has %d elements; the full product has %d", largest, tc.productMax)
			}
		})
	}
}

func shapesOf(dims []int) shapes.Shape { return shapes.Make(dtypes.Float64, dims...) }

// Bad shapes panic while building the graph; GoMLX's Exec returns them as
// errors naming the layer.
func TestBadShapes(t *testing.T) {
	b := newBackend(t)
	conv := func(x, w *graph.Node) *graph.Node { return layers.Conv2D(x, w, 1) }
	depthwise := func(x, w *graph.Node) *graph.Node { return layers.DepthwiseConv2D(x, w, 1) }
	tests := []struct {
		name         string
		f            func(x, w *graph.Node) *graph.Node
		xDims, wDims []int
		wantErr      string
	}{
		{"conv channels", conv, []int{1, 4, 4, 3}, []int{3, 3, 2, 4}, "layers.Conv2D: kernel"},
		{"conv even kernel", conv, []int{1, 4, 4, 3}, []int{2, 2, 3, 4}, "odd size"},
		{"conv rank", conv, []int{4, 4, 3}, []int{3, 3, 3, 4}, "[N,H,W,C]"},
		{"depthwise kernel", depthwise, []int{1, 4, 4, 3}, []int{3, 3, 3, 3}, "layers.DepthwiseConv2D: kernel must be [k,k,1,3]"},
		{"dot", layers.Dot, []int{2, 3}, []int{4, 5}, "layers.Dot"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := graph.CallOnce(b, tc.f, tensors.FromShape(shapesOf(tc.xDims)), tensors.FromShape(shapesOf(tc.wDims)))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// An input marked with StopGradient gets no gradient computed: the kernel's
// gradient is unchanged and the graph holds one convolution fewer. The
// forward pass and each gradient are one ConvGeneral, with no matrix
// products.
func TestStopGradientInput(t *testing.T) {
	b := newBackend(t)
	rng := rand.New(rand.NewPCG(21, 22))
	x := tensors.FromFlatDataAndDimensions(randn(rng, 2*6*6*3), 2, 6, 6, 3)
	w := tensors.FromFlatDataAndDimensions(randn(rng, 3*3*3*4), 3, 3, 3, 4)
	run := func(stop bool) ([]float64, int) {
		e := graph.MustNewExec(b, func(x, w *graph.Node) *graph.Node {
			if stop {
				x = graph.StopGradient(x)
			}
			loss := graph.ReduceAllSum(graph.Square(layers.Conv2D(x, w, 2)))
			return graph.Gradient(loss, w)[0]
		})
		out, g, err := e.CallWithGraph(x, w)
		if err != nil {
			t.Fatal(err)
		}
		convs := 0
		for _, node := range g.Nodes() {
			switch node.Type() {
			case graph.NodeTypeConvGeneral:
				convs++
			case graph.NodeTypeDotGeneral:
				t.Errorf("stop=%v: the graph has a DotGeneral", stop)
			}
		}
		return tensors.MustCopyFlatData[float64](out[0]), convs
	}
	want, convsAll := run(false)
	got, convsStopped := run(true)
	assertClose(t, "dkernel", got, want, 1e-12)
	if convsAll != 3 || convsStopped != 2 {
		t.Errorf("%d convolutions with the input stopped, %d without; want 2 and 3", convsStopped, convsAll)
	}
}

func TestReLU(t *testing.T) {
	b := newBackend(t)
	x := []float64{-2, -0.5, 0, 0.25, 3, -1e-9, 1e-9, 7}
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	exec := graph.MustNewExec(b, func(x, v *graph.Node) []*graph.Node {
		y := layers.ReLU(x)
		loss := graph.ReduceAllSum(graph.Mul(y, v))
		return []*graph.Node{y, graph.Gradient(loss, x)[0]}
	})
	outs, err := exec.Call(tensors.FromFlatDataAndDimensions(x, 2, 4), tensors.FromFlatDataAndDimensions(v, 2, 4))
	if err != nil {
		t.Fatal(err)
	}
	y := tensors.MustCopyFlatData[float64](outs[0])
	grad := tensors.MustCopyFlatData[float64](outs[1])
	for i := range x {
		wantY, wantG := 0.0, 0.0
		if x[i] > 0 {
			wantY, wantG = x[i], v[i]
		}
		if y[i] != wantY || grad[i] != wantG {
			t.Errorf("ReLU(%g) = %g, gradient %g; want %g, %g", x[i], y[i], grad[i], wantY, wantG)
		}
	}
}
