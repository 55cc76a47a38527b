package layers

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// geometry is the shape bookkeeping of a "same"-padded square convolution.
type geometry struct {
	n, h, w, c int // input batch, height, width, channels
	k, s, p    int // kernel size, stride, padding (k/2)
	ho, wo     int // output height and width
}

func newGeometry(op string, x, kernel *graph.Node, stride int) geometry {
	if x.Rank() != 4 {
		panic(fmt.Errorf("layers.%s: input must be [N,H,W,C], got %s", op, x.Shape()))
	}
	if kernel.Rank() != 4 {
		panic(fmt.Errorf("layers.%s: kernel must be [k,k,Cin,Cout], got %s", op, kernel.Shape()))
	}
	if x.DType() != kernel.DType() {
		panic(fmt.Errorf("layers.%s: input dtype %s and kernel dtype %s differ", op, x.DType(), kernel.DType()))
	}
	d := x.Shape().Dimensions
	k := kernel.Shape().Dimensions[0]
	if kernel.Shape().Dimensions[1] != k || k%2 == 0 {
		panic(fmt.Errorf("layers.%s: kernel must be square with an odd size, got %s", op, kernel.Shape()))
	}
	if stride < 1 {
		panic(fmt.Errorf("layers.%s: stride must be >= 1, got %d", op, stride))
	}
	geo := geometry{n: d[0], h: d[1], w: d[2], c: d[3], k: k, s: stride, p: k / 2}
	geo.ho = (geo.h+2*geo.p-k)/stride + 1
	geo.wo = (geo.w+2*geo.p-k)/stride + 1
	if geo.ho < 1 || geo.wo < 1 {
		panic(fmt.Errorf("layers.%s: input %s too small for kernel %d", op, x.Shape(), k))
	}
	return geo
}

// padSpatial pads the H and W axes of x [N,H,W,C] with zeros: start and
// end elements, and interior zeros between elements.
func padSpatial(x *graph.Node, startH, endH, startW, endW, interior int) *graph.Node {
	if startH == 0 && endH == 0 && startW == 0 && endW == 0 && interior == 0 {
		return x
	}
	return graph.Pad(x, graph.ScalarZero(x.Graph(), x.DType()),
		backends.PadAxis{},
		backends.PadAxis{Start: startH, End: endH, Interior: interior},
		backends.PadAxis{Start: startW, End: endW, Interior: interior},
		backends.PadAxis{})
}

// taps returns the k*k windows of xp [N,Hp,Wp,C] that a k x k kernel with
// stride s visits to make an ho x wo output, in kernel order (row, column):
// taps[di*k+dj][n,i,j,c] = xp[n, s*i+di, s*j+dj, c].
func taps(xp *graph.Node, k, s, ho, wo int) []*graph.Node {
	d := xp.Shape().Dimensions
	if k == 1 && s == 1 && d[1] == ho && d[2] == wo {
		return []*graph.Node{xp} // A 1x1 stride-1 kernel visits xp whole.
	}
	out := make([]*graph.Node, 0, k*k)
	for di := range k {
		for dj := range k {
			out = append(out, graph.Slice(xp,
				graph.AxisRange(),
				graph.AxisRange(di, di+(ho-1)*s+1).Stride(s),
				graph.AxisRange(dj, dj+(wo-1)*s+1).Stride(s),
				graph.AxisRange()))
		}
	}
	return out
}

// im2col returns the patches of xp as a [N*ho*wo, k*k*C] matrix, columns in
// kernel order (row, column, channel).
func im2col(xp *graph.Node, k, s, ho, wo int) *graph.Node {
	t := taps(xp, k, s, ho, wo)
	patches := t[0]
	if len(t) > 1 {
		patches = graph.Concatenate(t, 3)
	}
	d := xp.Shape().Dimensions
	return graph.Reshape(patches, d[0]*ho*wo, k*k*d[3])
}

// adjointPadding returns the padded and (for stride > 1) dilated adjoint v
// [N,ho,wo,C] such that a stride-1 "valid" convolution of it with the
// spatially reversed kernel gives the gradient with respect to the input.
func (geo geometry) adjointPadding(v *graph.Node) *graph.Node {
	start := geo.k - 1 - geo.p
	endH := geo.h + geo.p - (geo.ho-1)*geo.s - 1
	endW := geo.w + geo.p - (geo.wo-1)*geo.s - 1
	return padSpatial(v, start, endH, start, endW, geo.s-1)
}

// Conv2D convolves x [N,H,W,Cin] with kernel [k,k,Cin,Cout] (k odd), with
// "same" padding k/2, the given stride and no bias, giving
// [N,ceil(H/stride),ceil(W/stride),Cout] (PyTorch's Conv2d with padding k/2).
//
// It is computed as im2col (strided slices) and one matrix product, with a
// gradient of two matrix products: the kernel's from the patches, the
// input's as a stride-1 convolution of the dilated, padded adjoint with the
// reversed kernel. This is several times faster than GoMLX's ConvGeneral
// on the pure-Go backend and keeps memory to the size of the patches; it is
// made of plain graph ops, so it runs on any backend.
//
// An input or kernel marked with graph.StopGradient gets no gradient
// computed (e.g. the input images of the first layer).
//
// Invalid shapes panic, as graph-building functions do in GoMLX.
func Conv2D(x, kernel *graph.Node, stride int) *graph.Node {
	geo := newGeometry("Conv2D", x, kernel, stride)
	kd := kernel.Shape().Dimensions
	if kd[2] != geo.c {
		panic(fmt.Errorf("layers.Conv2D: kernel %s does not match input channels %d of %s", kernel.Shape(), geo.c, x.Shape()))
	}
	k, cin, cout := geo.k, geo.c, kd[3]
	m := geo.n * geo.ho * geo.wo
	xp := padSpatial(x, geo.p, geo.p, geo.p, geo.p, 0)
	patches := im2col(xp, k, geo.s, geo.ho, geo.wo)
	wm := graph.Reshape(kernel, k*k*cin, cout)
	y := graph.Reshape(matmul(patches, wm), geo.n, geo.ho, geo.wo, cout)
	return withGradient(y, []*graph.Node{x, kernel}, func(v *graph.Node, need []bool) []*graph.Node {
		grads := make([]*graph.Node, 2)
		if need[1] {
			vm := graph.Reshape(v, m, cout)
			grads[1] = graph.Reshape(graph.DotGeneral(patches, []int{0}, nil, vm, []int{0}, nil), k, k, cin, cout)
		}
		if need[0] {
			// Reversed kernel with input/output channels swapped: [k*k*Cout, Cin].
			wr := graph.Reshape(graph.TransposeAllAxes(graph.Reverse(kernel, 0, 1), 0, 1, 3, 2), k*k*cout, cin)
			vp := geo.adjointPadding(v)
			dx := matmul(im2col(vp, k, 1, geo.h, geo.w), wr)
			grads[0] = graph.Reshape(dx, geo.n, geo.h, geo.w, cin)
		}
		return grads
	})
}

// DepthwiseConv2D convolves each channel of x [N,H,W,C] with its own k x k
// filter, kernel [k,k,1,C] (k odd): PyTorch's Conv2d with groups = C, "same"
// padding k/2, the given stride and no bias. The output is
// [N,ceil(H/stride),ceil(W/stride),C].
//
// It is computed as k*k strided slices multiplied by per-channel weights and
// summed, with a gradient of the same form (a per-channel convolution of the
// dilated, padded adjoint with the reversed filters, and per-tap reductions
// for the filters).
//
// Invalid shapes panic, as graph-building functions do in GoMLX.
func DepthwiseConv2D(x, kernel *graph.Node, stride int) *graph.Node {
	geo := newGeometry("DepthwiseConv2D", x, kernel, stride)
	kd := kernel.Shape().Dimensions
	if kd[2] != 1 || kd[3] != geo.c {
		panic(fmt.Errorf("layers.DepthwiseConv2D: kernel must be [k,k,1,%d] for input %s, got %s", geo.c, x.Shape(), kernel.Shape()))
	}
	k, c := geo.k, geo.c
	xp := padSpatial(x, geo.p, geo.p, geo.p, geo.p, 0)
	y := weightedSum(taps(xp, k, geo.s, geo.ho, geo.wo), graph.Reshape(kernel, k*k, 1, 1, 1, c))
	return withGradient(y, []*graph.Node{x, kernel}, func(v *graph.Node, need []bool) []*graph.Node {
		grads := make([]*graph.Node, 2)
		if need[1] {
			// Filters: dK[t] = sum over N, ho, wo of tap t times v.
			t := taps(xp, k, geo.s, geo.ho, geo.wo)
			dk := make([]*graph.Node, len(t))
			for i, tap := range t {
				dk[i] = graph.Reshape(graph.ReduceSum(graph.Mul(tap, v), 0, 1, 2), 1, c)
			}
			grads[1] = graph.Reshape(graph.Concatenate(dk, 0), k, k, 1, c)
		}
		if need[0] {
			// Input: per-channel stride-1 convolution of the padded adjoint with the reversed filters.
			wr := graph.Reshape(graph.Reverse(kernel, 0, 1), k*k, 1, 1, 1, c)
			grads[0] = weightedSum(taps(geo.adjointPadding(v), k, 1, geo.h, geo.w), wr)
		}
		return grads
	})
}

// weightedSum returns sum_i t[i] * w[i], w shaped [len(t),1,1,1,C]
// (broadcast over N, H, W). The weights are broadcast explicitly: SimpleGo
// multiplies equal shapes about twice as fast as it broadcasts implicitly
// (see broadcastTo).
func weightedSum(t []*graph.Node, w *graph.Node) *graph.Node {
	var sum *graph.Node
	for i, tap := range t {
		wi := graph.Reshape(graph.Slice(w, graph.AxisElem(i)), 1, 1, 1, w.Shape().Dimensions[4])
		term := graph.Mul(tap, broadcastTo(wi, tap.Shape().Dimensions...))
		if sum == nil {
			sum = term
		} else {
			sum = graph.Add(sum, term)
		}
	}
	return sum
}
