package layers

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
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

// nhwc is the layout of the forward convolutions: input [N,H,W,C], kernel
// [k,k,Cin,Cout] (HWIO), output [N,H,W,C].
var nhwc = compute.ConvolveAxesConfig{
	InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
	KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
	OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
}

// conv is one graph.ConvGeneral with every setting passed explicitly.
func conv(x, kernel *graph.Node, axes compute.ConvolveAxesConfig, stride int, paddings [][2]int,
	inputDilation, kernelDilation, channelGroups, batchGroups int) *graph.Node {
	return graph.ConvGeneral(x, kernel, axes, []int{stride, stride}, paddings,
		[]int{inputDilation, inputDilation}, []int{kernelDilation, kernelDilation},
		channelGroups, batchGroups)
}

// convolve is the "same"-padded convolution of x with kernel (groups = 1,
// or C when depthwise), with inputGrad and kernelGrad as its gradient.
func (geo geometry) convolve(x, kernel *graph.Node, depthwise bool) *graph.Node {
	groups := 1
	if depthwise {
		groups = geo.c
	}
	p := geo.p
	y := conv(x, kernel, nhwc, geo.s, [][2]int{{p, p}, {p, p}}, 1, 1, groups, 1)
	return withGradient(y, []*graph.Node{x, kernel}, func(v *graph.Node, need []bool) []*graph.Node {
		grads := make([]*graph.Node, 2)
		if need[1] {
			grads[1] = geo.kernelGrad(x, v, depthwise)
		}
		if need[0] {
			grads[0] = geo.inputGrad(v, kernel, depthwise)
		}
		return grads
	})
}

// inputGrad returns the gradient with respect to the input [N,H,W,Cin]
// from the adjoint v [N,ho,wo,Cout]: a stride-1 convolution of v dilated by
// the stride (InputDilations) with the spatially reversed kernel, its input
// and output channel axes swapped in the axes configuration (for a
// depthwise kernel [k,k,1,C] with C groups they are not swapped). Padding
// k-1-p before and what gives H (resp. W) after:
// dx[a] = sum_t vd[a+p-(k-1)+t] Kr[t], vd the dilated v, Kr the reversed kernel.
func (geo geometry) inputGrad(v, kernel *graph.Node, depthwise bool) *graph.Node {
	axes := nhwc.Clone()
	groups := 1
	if depthwise {
		groups = geo.c
	} else {
		axes.KernelInputChannels, axes.KernelOutputChannels = 3, 2
	}
	start := geo.k - 1 - geo.p
	endH := geo.h + geo.p - (geo.ho-1)*geo.s - 1
	endW := geo.w + geo.p - (geo.wo-1)*geo.s - 1
	return conv(v, graph.Reverse(kernel, 0, 1), axes, 1, [][2]int{{start, endH}, {start, endW}}, geo.s, 1, groups, 1)
}

// kernelGrad returns the gradient with respect to the kernel [k,k,Cin,Cout]
// (depthwise: [k,k,1,C]) from the input x and the adjoint v: a convolution
// of x, its channels as the batch and N as the contracted axis, with v as
// the kernel (N its input channels, Cout its output channels, [ho,wo] its
// window dilated by the stride):
// dK[di,dj,c,o] = sum_{n,i,j} x[n, s*i+di-p, s*j+dj-p, c] v[n,i,j,o].
// The output is laid out [k,k,Cin,Cout] by the axes configuration. For a
// depthwise kernel, BatchGroupCount = C pairs input channel c with output
// channel c. Rows and columns of x that no window reaches (stride > 1) are
// left out by the end padding, cropped where it would be negative.
func (geo geometry) kernelGrad(x, v *graph.Node, depthwise bool) *graph.Node {
	axes := compute.ConvolveAxesConfig{
		InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
		KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: 2, OutputChannels: 3, OutputSpatial: []int{0, 1},
	}
	// The window of output (di,dj) reads padded rows di + s*i, i < ho: the
	// output has k rows when the end padding is k + (ho-1)*s - H - p.
	endH := geo.k + (geo.ho-1)*geo.s - geo.h - geo.p
	endW := geo.k + (geo.wo-1)*geo.s - geo.w - geo.p
	if endH < 0 || endW < 0 {
		x = graph.Slice(x, graph.AxisRange(), graph.AxisRange(0, geo.h+min(endH, 0)),
			graph.AxisRange(0, geo.w+min(endW, 0)), graph.AxisRange())
		endH, endW = max(endH, 0), max(endW, 0)
	}
	groups := 1
	if depthwise {
		groups = geo.c
	}
	return conv(x, v, axes, 1, [][2]int{{geo.p, endH}, {geo.p, endW}}, 1, geo.s, 1, groups)
}

// Conv2D convolves x [N,H,W,Cin] with kernel [k,k,Cin,Cout] (k odd), with
// "same" padding k/2, the given stride and no bias, giving
// [N,ceil(H/stride),ceil(W/stride),Cout] (PyTorch's Conv2d with padding k/2).
//
// The forward pass and each of the two gradients are one graph.ConvGeneral
// (the gradients as a custom gradient, not GoMLX's convolution VJP): the
// input's is a stride-1 convolution of the adjoint, dilated by the stride,
// with the reversed kernel; the kernel's a convolution of the input with
// the adjoint contracting over the batch. The project's CPU backend
// (nas/backend/cpu) runs them in its own kernels; other backends (XLA,
// GoMLX's Go backend) run them as they run any ConvGeneral.
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
	return geo.convolve(x, kernel, false)
}

// DepthwiseConv2D convolves each channel of x [N,H,W,C] with its own k x k
// filter, kernel [k,k,1,C] (k odd): PyTorch's Conv2d with groups = C, "same"
// padding k/2, the given stride and no bias. The output is
// [N,ceil(H/stride),ceil(W/stride),C].
//
// The forward pass is one graph.ConvGeneral with ChannelGroupCount C; its
// input gradient one with the reversed filters (C groups), its kernel
// gradient one with BatchGroupCount C (see Conv2D).
//
// Invalid shapes panic, as graph-building functions do in GoMLX.
func DepthwiseConv2D(x, kernel *graph.Node, stride int) *graph.Node {
	geo := newGeometry("DepthwiseConv2D", x, kernel, stride)
	kd := kernel.Shape().Dimensions
	if kd[2] != 1 || kd[3] != geo.c {
		panic(fmt.Errorf("layers.DepthwiseConv2D: kernel must be [k,k,1,%d] for input %s, got %s", geo.c, x.Shape(), kernel.Shape()))
	}
	return geo.convolve(x, kernel, true)
}
