// Package conv computes XLA's ConvGeneral (the semantics of GoMLX's
// backends.Builder.ConvGeneral) on flat row-major slices, in pure Go.
//
// Run is the fast entry point. For one or two spatial axes it copies the
// input once into a fixed internal layout (batch, spatial..., channels,
// with batch groups folded into the channels; no copy when the input is
// already laid out so) and runs one of five kernels:
//
//   - a blocked im2col GEMM for convolutions with several input channels
//     per group (plain convolutions and both their gradients): the im2col
//     rows are gathered straight into packed panels, a register-blocked
//     micro-kernel multiplies them with the kernel, and an input dilation
//     is split into phases so that no tap lands on a dilation hole;
//   - a direct depthwise kernel (one input channel per group, forward and
//     input gradient), channels innermost;
//   - for the depthwise kernel gradient in batch-group form with NHWC
//     operands, the same depthwise point kernel on the original operands,
//     no copies;
//   - for the kernel gradient of a plain convolution with NHWC operands,
//     one GEMM per kernel tap that reads the input's channels in place
//     (no copy, no packed A) against packed rows of the output gradient;
//   - a grouped dot-product kernel for other convolutions with one output
//     channel per group.
//
// RunEpilogue also applies a function to the output rows (batch
// normalization and a ReLU, for inference), in the GEMM's work items while
// their rows are in cache.
// RunSeparable runs a depthwise convolution and the pointwise one that
// reads its output in one pass: each GEMM work item computes the
// depthwise rows it multiplies.
//
// Other spatial ranks go through Reference, the plain nested-loop
// definition that the tests use as ground truth. The output may have any
// axes order: results are written through its strides.
//
// # Speed
//
// On amd64 the GEMMs run an 8x16 float32 micro kernel in assembly
// (micro_amd64.s) wherever the CPU has AVX2 and FMA, in every build: one
// AVX-512 kernel where the CPU has AVX-512 (and TRGNAS_CPU is not "avx2",
// see package internal/isa), else a 4x16 AVX2 kernel twice. The AVX-512
// kernel takes two panels of the kernel at once where there are two (8x32:
// sixteen sums in flight, each value of A broadcast once for both), with
// each output's sum in the same order as one panel at a time. A last
// panel with 8 or fewer columns in use (56 output channels, say) is
// computed 8 columns wide (ymm halves on AVX-512, an 8x8 AVX2 kernel). Go's
// FMA intrinsic overwrites a multiplicand, which costs a copy or a reload
// per product, and the plain build has no vectors at all. Built with
// GOEXPERIMENT=simd (Go 1.26's simd/archsimd), the depthwise kernels, the
// float64 GEMM and the row copies use AVX2 FMA vectors too (16 channels at
// a time). Other CPUs and architectures run plain Go (a 2x4 scalar tile
// off amd64; GOAMD64=v3 lets the compiler fuse its multiply-adds). All
// builds pass the same tests. BenchmarkConv compares Run with the Go backend's
// ConvGeneral.
//
// # Semantics
//
// With dilated_in = (in-1)*InputDilations+1 and dilated_k =
// (k-1)*KernelDilations+1, the output spatial size is
// (dilated_in + lo + hi - dilated_k)/stride + 1. With G feature groups the
// input channels and the kernel's output channels split into G consecutive
// groups; with G batch groups the input batch splits into G consecutive
// groups (output batch = input batch / G) and the kernel's output channels
// into G consecutive groups, output channel group g reading input batch
// group g. These are XLA's semantics. The Go backend gets batch groups
// wrong (GoMLX v0.26.0 took the batch group of output channel o as
// o/BatchGroups; compute v0.1.3 indexes out of range); the tests check the batch-group case against per-channel kernel
// gradients instead.
package conv

import (
	"errors"
	"fmt"
	"slices"

	"github.com/gomlx/compute"
)

// Spec describes one ConvGeneral: the operands' dimensions and XLA's
// convolution attributes, with GoMLX's axes convention.
type Spec struct {
	// Input and Kernel are the dimensions of the operands.
	Input, Kernel []int
	// Axes says which axis of each operand and of the output is the batch,
	// the channels and each spatial axis.
	Axes compute.ConvolveAxesConfig
	// Strides has one stride per spatial axis (nil = all 1).
	Strides []int
	// Paddings has one {low, high} per spatial axis (nil = all 0); negative
	// paddings are rejected.
	Paddings [][2]int
	// InputDilations and KernelDilations have one dilation per spatial axis
	// (nil = all 1).
	InputDilations, KernelDilations []int
	// FeatureGroups and BatchGroups are XLA's feature_group_count and
	// batch_group_count: 0 or 1 means none; at most one may be above 1.
	FeatureGroups, BatchGroups int
}

// ErrSpec is wrapped by every error about an invalid Spec.
var ErrSpec = errors.New("conv: invalid spec")

// ErrSize is wrapped by every error about an operand slice whose length
// does not match its Spec.
var ErrSize = errors.New("conv: wrong slice length")

// plan is a validated Spec with every default filled in.
type plan struct {
	rank, sp               int // operand rank, spatial rank
	in, ker, out           []int
	inStr, kerStr, outStr  []int // row-major strides
	axes                   compute.ConvolveAxesConfig
	strides, dilIn, dilKer []int
	pads                   [][2]int
	fgc, bgc               int
	groups                 int // fgc*bgc (one of them is 1)
	batch, outBatch        int // input batch, output batch
	ci, co, cig, cog       int // input channels, output channels, per group
	inSp, kerSp, outSp     []int
}

func specErr(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrSpec, field, fmt.Sprintf(format, args...))
}

func rowMajorStrides(dims []int) []int {
	st := make([]int, len(dims))
	s := 1
	for i := len(dims) - 1; i >= 0; i-- {
		st[i] = s
		s *= dims[i]
	}
	return st
}

func product(dims []int) int {
	p := 1
	for _, d := range dims {
		p *= d
	}
	return p
}

// checkAxes checks that batch, channels and spatial name each of rank axes
// exactly once.
func checkAxes(name string, batch, channels int, spatial []int, rank int) error {
	seen := make([]bool, rank)
	mark := func(field string, a int) error {
		if a < 0 || a >= rank {
			return specErr("Axes."+name+field, "axis %d out of range [0,%d)", a, rank)
		}
		if seen[a] {
			return specErr("Axes."+name+field, "axis %d used twice", a)
		}
		seen[a] = true
		return nil
	}
	bName, cName := "Batch", "Channels"
	if name == "Kernel" {
		bName, cName = "InputChannels", "OutputChannels"
	}
	if err := mark(bName, batch); err != nil {
		return err
	}
	if err := mark(cName, channels); err != nil {
		return err
	}
	if len(spatial) != rank-2 {
		return specErr("Axes."+name+"Spatial", "has %d axes, want %d (rank %d minus 2)", len(spatial), rank-2, rank)
	}
	for i, a := range spatial {
		if err := mark(fmt.Sprintf("Spatial[%d]", i), a); err != nil {
			return err
		}
	}
	return nil
}

func perAxis(field string, v []int, sp, def int) ([]int, error) {
	if v == nil {
		out := make([]int, sp)
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	if len(v) != sp {
		return nil, specErr(field, "has %d values, want one per spatial axis (%d)", len(v), sp)
	}
	for i, x := range v {
		if x < 1 {
			return nil, specErr(fmt.Sprintf("%s[%d]", field, i), "is %d, must be >= 1", x)
		}
	}
	return slices.Clone(v), nil
}

// plan validates s and fills in its defaults.
func (s Spec) plan() (*plan, error) {
	p := &plan{axes: s.Axes.Clone()}
	p.rank = len(s.Input)
	if p.rank < 3 {
		return nil, specErr("Input", "rank %d, want at least 3 (batch, channels, one spatial axis)", p.rank)
	}
	if len(s.Kernel) != p.rank {
		return nil, specErr("Kernel", "rank %d differs from Input's rank %d", len(s.Kernel), p.rank)
	}
	for i, d := range s.Input {
		if d < 1 {
			return nil, specErr(fmt.Sprintf("Input[%d]", i), "dimension %d, must be >= 1", d)
		}
	}
	for i, d := range s.Kernel {
		if d < 1 {
			return nil, specErr(fmt.Sprintf("Kernel[%d]", i), "dimension %d, must be >= 1", d)
		}
	}
	p.sp = p.rank - 2
	a := p.axes
	if err := checkAxes("Input", a.InputBatch, a.InputChannels, a.InputSpatial, p.rank); err != nil {
		return nil, err
	}
	if err := checkAxes("Kernel", a.KernelInputChannels, a.KernelOutputChannels, a.KernelSpatial, p.rank); err != nil {
		return nil, err
	}
	if err := checkAxes("Output", a.OutputBatch, a.OutputChannels, a.OutputSpatial, p.rank); err != nil {
		return nil, err
	}
	var err error
	if p.strides, err = perAxis("Strides", s.Strides, p.sp, 1); err != nil {
		return nil, err
	}
	if p.dilIn, err = perAxis("InputDilations", s.InputDilations, p.sp, 1); err != nil {
		return nil, err
	}
	if p.dilKer, err = perAxis("KernelDilations", s.KernelDilations, p.sp, 1); err != nil {
		return nil, err
	}
	switch {
	case s.Paddings == nil:
		p.pads = make([][2]int, p.sp)
	case len(s.Paddings) != p.sp:
		return nil, specErr("Paddings", "has %d pairs, want one per spatial axis (%d)", len(s.Paddings), p.sp)
	default:
		p.pads = slices.Clone(s.Paddings)
		for i, pd := range p.pads {
			if pd[0] < 0 || pd[1] < 0 {
				return nil, specErr(fmt.Sprintf("Paddings[%d]", i), "%v is negative (negative padding is not supported)", pd)
			}
		}
	}
	if s.FeatureGroups < 0 {
		return nil, specErr("FeatureGroups", "is %d, must be >= 0", s.FeatureGroups)
	}
	if s.BatchGroups < 0 {
		return nil, specErr("BatchGroups", "is %d, must be >= 0", s.BatchGroups)
	}
	p.fgc, p.bgc = max(s.FeatureGroups, 1), max(s.BatchGroups, 1)
	if p.fgc > 1 && p.bgc > 1 {
		return nil, specErr("FeatureGroups", "%d and BatchGroups %d are both above 1", p.fgc, p.bgc)
	}
	p.groups = p.fgc * p.bgc
	p.in, p.ker = slices.Clone(s.Input), slices.Clone(s.Kernel)
	p.batch = p.in[a.InputBatch]
	p.ci = p.in[a.InputChannels]
	p.cig = p.ker[a.KernelInputChannels]
	p.co = p.ker[a.KernelOutputChannels]
	if p.ci%p.fgc != 0 {
		return nil, specErr("FeatureGroups", "%d does not divide the input channels %d (Input[%d])", p.fgc, p.ci, a.InputChannels)
	}
	if p.co%p.groups != 0 {
		field := "FeatureGroups"
		if p.bgc > 1 {
			field = "BatchGroups"
		}
		return nil, specErr(field, "%d does not divide the kernel output channels %d (Kernel[%d])", p.groups, p.co, a.KernelOutputChannels)
	}
	if p.cig*p.fgc != p.ci {
		return nil, specErr("Kernel", "input channels Kernel[%d]=%d times FeatureGroups %d must equal the input channels Input[%d]=%d",
			a.KernelInputChannels, p.cig, p.fgc, a.InputChannels, p.ci)
	}
	if p.batch%p.bgc != 0 {
		return nil, specErr("BatchGroups", "%d does not divide the input batch Input[%d]=%d", p.bgc, a.InputBatch, p.batch)
	}
	p.cog = p.co / p.groups
	p.outBatch = p.batch / p.bgc
	p.out = make([]int, p.rank)
	p.out[a.OutputBatch] = p.outBatch
	p.out[a.OutputChannels] = p.co
	p.inSp, p.kerSp, p.outSp = make([]int, p.sp), make([]int, p.sp), make([]int, p.sp)
	for d := range p.sp {
		in := p.in[a.InputSpatial[d]]
		k := p.ker[a.KernelSpatial[d]]
		din := (in-1)*p.dilIn[d] + 1
		dk := (k-1)*p.dilKer[d] + 1
		padded := din + p.pads[d][0] + p.pads[d][1]
		if dk > padded {
			return nil, specErr(fmt.Sprintf("Kernel[%d]", a.KernelSpatial[d]),
				"dilated kernel size %d is larger than the padded dilated input size %d on spatial axis %d", dk, padded, d)
		}
		o := (padded-dk)/p.strides[d] + 1
		p.inSp[d], p.kerSp[d], p.outSp[d] = in, k, o
		p.out[a.OutputSpatial[d]] = o
	}
	p.inStr, p.kerStr, p.outStr = rowMajorStrides(p.in), rowMajorStrides(p.ker), rowMajorStrides(p.out)
	return p, nil
}

// Output returns the output dimensions (the same as GoMLX's shape
// inference, shapeinference.ConvGeneralOp), or an error naming the bad
// field.
func (s Spec) Output() ([]int, error) {
	p, err := s.plan()
	if err != nil {
		return nil, err
	}
	return p.out, nil
}

// checkSizes checks the lengths of the three operand slices.
func (p *plan) checkSizes(nx, nk, nout int) error {
	if want := product(p.in); nx != want {
		return fmt.Errorf("%w: input has %d values, Spec.Input %v needs %d", ErrSize, nx, p.in, want)
	}
	if want := product(p.ker); nk != want {
		return fmt.Errorf("%w: kernel has %d values, Spec.Kernel %v needs %d", ErrSize, nk, p.ker, want)
	}
	if want := product(p.out); nout != want {
		return fmt.Errorf("%w: out has %d values, output %v needs %d", ErrSize, nout, p.out, want)
	}
	return nil
}
