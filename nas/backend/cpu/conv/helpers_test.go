package conv_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// nhwc is the layout of the model: NHWC input and output, HWIO kernel.
var nhwc = compute.ConvolveAxesConfig{
	InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
	KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
	OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
}

// geom is one convolution of the model: x [n,h,w,ci], kernel k x k,
// stride s, padding k/2, co output channels.
type geom struct{ n, h, w, ci, co, k, s int }

func (g geom) String() string {
	return fmt.Sprintf("n%d_%dx%d_ci%d_co%d_k%d_s%d", g.n, g.h, g.w, g.ci, g.co, g.k, g.s)
}

func (g geom) pad() int { return g.k / 2 }

// outHW is the forward output's spatial size.
func (g geom) outHW() (int, int) {
	p := g.pad()
	return (g.h+2*p-g.k)/g.s + 1, (g.w+2*p-g.k)/g.s + 1
}

// gradPads are the paddings of the input gradient: the forward output
// dilated by the stride, convolved with the reversed kernel, gives [h,w].
func (g geom) gradPads() [][2]int {
	ho, wo := g.outHW()
	p := g.pad()
	lo := g.k - 1 - p
	return [][2]int{{lo, g.h - 1 - (ho-1)*g.s + p}, {lo, g.w - 1 - (wo-1)*g.s + p}}
}

// kernelGradPads are the paddings of the kernel gradient (output k x k).
func (g geom) kernelGradPads() [][2]int {
	ho, wo := g.outHW()
	p := g.pad()
	return [][2]int{{p, g.k + (ho-1)*g.s - g.h - p}, {p, g.k + (wo-1)*g.s - g.w - p}}
}

func ones(n, v int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// forward is config 1: plain convolution.
func forward(g geom) conv.Spec {
	p := g.pad()
	return conv.Spec{Input: []int{g.n, g.h, g.w, g.ci}, Kernel: []int{g.k, g.k, g.ci, g.co}, Axes: nhwc,
		Strides: []int{g.s, g.s}, Paddings: [][2]int{{p, p}, {p, p}}}
}

// inputGrad is config 2: gradient of forward with respect to x, from the
// output gradient v [n,ho,wo,co] and the (reversed) kernel with its
// channel axes swapped.
func inputGrad(g geom) conv.Spec {
	ho, wo := g.outHW()
	ax := nhwc.Clone()
	ax.KernelInputChannels, ax.KernelOutputChannels = 3, 2
	return conv.Spec{Input: []int{g.n, ho, wo, g.co}, Kernel: []int{g.k, g.k, g.ci, g.co}, Axes: ax,
		Strides: []int{1, 1}, Paddings: g.gradPads(), InputDilations: []int{g.s, g.s}}
}

// kernelGrad is config 3: gradient of forward with respect to the kernel,
// contracting the batch. hwio picks the output layout [k,k,ci,co] instead
// of [ci,k,k,co].
func kernelGrad(g geom, hwio bool) conv.Spec {
	ho, wo := g.outHW()
	ax := compute.ConvolveAxesConfig{
		InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
		KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
	}
	if hwio {
		ax.OutputBatch, ax.OutputSpatial = 2, []int{0, 1}
	}
	return conv.Spec{Input: []int{g.n, g.h, g.w, g.ci}, Kernel: []int{g.n, ho, wo, g.co}, Axes: ax,
		Strides: []int{1, 1}, Paddings: g.kernelGradPads(), KernelDilations: []int{g.s, g.s}}
}

// dwForward is config 4: depthwise convolution (co must equal ci).
func dwForward(g geom) conv.Spec {
	s := forward(g)
	s.Kernel = []int{g.k, g.k, 1, g.ci}
	s.FeatureGroups = g.ci
	return s
}

// dwInputGrad is config 5.
func dwInputGrad(g geom) conv.Spec {
	s := inputGrad(g)
	s.Input[3] = g.ci
	s.Kernel = []int{g.k, g.k, 1, g.ci}
	s.Axes = nhwc.Clone()
	s.FeatureGroups = g.ci
	return s
}

// dwKernelGrad is config 6: batch groups, output [k,k,1,c].
func dwKernelGrad(g geom) conv.Spec {
	s := kernelGrad(g, true)
	s.Kernel[3] = g.ci
	s.BatchGroups = g.ci
	return s
}

type config struct {
	name string
	spec func(geom) conv.Spec
	dw   bool
}

var configs = []config{
	{"forward", forward, false},
	{"inputGrad", inputGrad, false},
	{"kernelGrad", func(g geom) conv.Spec { return kernelGrad(g, false) }, false},
	{"kernelGradHWIO", func(g geom) conv.Spec { return kernelGrad(g, true) }, false},
	{"dwForward", dwForward, true},
	{"dwInputGrad", dwInputGrad, true},
	{"dwKernelGrad", dwKernelGrad, true},
}

func randSlice[T float32 | float64](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64()*2 - 1)
	}
	return s
}

func size(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// compare fails t if got and want differ by more than rtol relative to
// the larger of |want[i]| and the mean |want|.
func compare[T float32 | float64](t *testing.T, got, want []T, rtol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("len %d, want %d", len(got), len(want))
	}
	var mean float64
	for _, w := range want {
		mean += math.Abs(float64(w))
	}
	mean /= float64(max(len(want), 1))
	bad := 0
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.Abs(g-w) > rtol*max(math.Abs(w), mean, 1e-30) {
			if bad < 5 {
				t.Errorf("out[%d] = %g, want %g (diff %g)", i, g, w, g-w)
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ", bad, len(got))
	}
}

// transpose returns data laid out with axis i of the result being axis
// perm[i] of dims.
func transpose[T any](data []T, dims, perm []int) ([]T, []int) {
	rank := len(dims)
	nd := make([]int, rank)
	for i, a := range perm {
		nd[i] = dims[a]
	}
	st := make([]int, rank)
	s := 1
	for i := rank - 1; i >= 0; i-- {
		st[i] = s
		s *= dims[i]
	}
	out := make([]T, len(data))
	idx := make([]int, rank)
	for i := range out {
		off := 0
		for a := range rank {
			off += idx[a] * st[perm[a]]
		}
		out[i] = data[off]
		for a := rank - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < nd[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out, nd
}

func inverse(perm []int) []int {
	inv := make([]int, len(perm))
	for i, a := range perm {
		inv[a] = i
	}
	return inv
}

func mapAxes(inv, axes []int) []int {
	out := make([]int, len(axes))
	for i, a := range axes {
		out[i] = inv[a]
	}
	return out
}

// permuted returns s, x and k with the three operands' axes permuted
// (by pin, pk and pout) and the axes config relabelled to match.
func permuted[T any](s conv.Spec, x, k []T, pin, pk, pout []int) (conv.Spec, []T, []T) {
	ps := s
	px, pinDims := transpose(x, s.Input, pin)
	pkk, pkDims := transpose(k, s.Kernel, pk)
	ps.Input, ps.Kernel = pinDims, pkDims
	a := s.Axes
	ii, ik, io := inverse(pin), inverse(pk), inverse(pout)
	ps.Axes = compute.ConvolveAxesConfig{
		InputBatch: ii[a.InputBatch], InputChannels: ii[a.InputChannels], InputSpatial: mapAxes(ii, a.InputSpatial),
		KernelInputChannels: ik[a.KernelInputChannels], KernelOutputChannels: ik[a.KernelOutputChannels],
		KernelSpatial: mapAxes(ik, a.KernelSpatial),
		OutputBatch:   io[a.OutputBatch], OutputChannels: io[a.OutputChannels], OutputSpatial: mapAxes(io, a.OutputSpatial),
	}
	return ps, px, pkk
}

// flops is 2 x the multiply-adds of the forward convolution g (the same
// for its two gradients; depthwise when dw).
func flops(g geom, dw bool) float64 {
	ho, wo := g.outHW()
	cin := g.ci
	if dw {
		cin = 1
	}
	return 2 * float64(g.n*ho*wo*g.co*g.k*g.k*cin)
}
