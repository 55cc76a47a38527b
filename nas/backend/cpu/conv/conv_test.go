package conv_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// axes1D is [batch, width, channels] input and output, [width, in, out]
// kernel.
var axes1D = compute.ConvolveAxesConfig{
	InputBatch: 0, InputChannels: 2, InputSpatial: []int{1},
	KernelInputChannels: 1, KernelOutputChannels: 2, KernelSpatial: []int{0},
	OutputBatch: 0, OutputChannels: 2, OutputSpatial: []int{1},
}

func TestReferenceByHand(t *testing.T) {
	tests := []struct {
		name    string
		spec    conv.Spec
		x, k    []float64
		wantDim []int
		want    []float64
	}{
		{"plain", conv.Spec{Input: []int{1, 4, 1}, Kernel: []int{2, 1, 1}, Axes: axes1D},
			[]float64{1, 2, 3, 4}, []float64{1, 10}, []int{1, 3, 1}, []float64{21, 32, 43}},
		{"stride2-pad1", conv.Spec{Input: []int{1, 4, 1}, Kernel: []int{2, 1, 1}, Axes: axes1D,
			Strides: []int{2}, Paddings: [][2]int{{1, 1}}},
			[]float64{1, 2, 3, 4}, []float64{1, 10}, []int{1, 3, 1}, []float64{10, 32, 4}},
		{"input-dilation2", conv.Spec{Input: []int{1, 4, 1}, Kernel: []int{2, 1, 1}, Axes: axes1D,
			InputDilations: []int{2}},
			[]float64{1, 2, 3, 4}, []float64{1, 10}, []int{1, 6, 1}, []float64{1, 20, 2, 30, 3, 40}},
		{"kernel-dilation2", conv.Spec{Input: []int{1, 4, 1}, Kernel: []int{2, 1, 1}, Axes: axes1D,
			KernelDilations: []int{2}},
			[]float64{1, 2, 3, 4}, []float64{1, 10}, []int{1, 2, 1}, []float64{31, 42}},
		{"channels-summed", conv.Spec{Input: []int{1, 2, 2}, Kernel: []int{1, 2, 1}, Axes: axes1D},
			[]float64{1, 2, 3, 4}, []float64{10, 100}, []int{1, 2, 1}, []float64{210, 430}},
		{"feature-groups2", conv.Spec{Input: []int{1, 2, 2}, Kernel: []int{1, 1, 2}, Axes: axes1D, FeatureGroups: 2},
			[]float64{1, 2, 3, 4}, []float64{10, 100}, []int{1, 2, 2}, []float64{10, 200, 30, 400}},
		// Batch group g of the output channels reads input batch group g.
		{"batch-groups2", conv.Spec{Input: []int{2, 1, 1}, Kernel: []int{1, 1, 2}, Axes: axes1D, BatchGroups: 2},
			[]float64{1, 2}, []float64{10, 100}, []int{1, 1, 2}, []float64{10, 200}},
		{"batch-groups2-of-2", conv.Spec{Input: []int{4, 1, 1}, Kernel: []int{1, 1, 4}, Axes: axes1D, BatchGroups: 2},
			[]float64{1, 2, 3, 4}, []float64{1, 10, 100, 1000}, []int{2, 1, 4}, []float64{1, 10, 300, 3000, 2, 20, 400, 4000}},
		// Output laid out [channels, width, batch].
		{"output-permuted", conv.Spec{Input: []int{2, 2, 1}, Kernel: []int{1, 1, 2},
			Axes: compute.ConvolveAxesConfig{InputBatch: 0, InputChannels: 2, InputSpatial: []int{1},
				KernelInputChannels: 1, KernelOutputChannels: 2, KernelSpatial: []int{0},
				OutputBatch: 2, OutputChannels: 0, OutputSpatial: []int{1}}},
			[]float64{1, 2, 3, 4}, []float64{1, 10}, []int{2, 2, 2}, []float64{1, 3, 2, 4, 10, 30, 20, 40}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dims, err := tc.spec.Output()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(dims, tc.wantDim) {
				t.Fatalf("Output() = %v, want %v", dims, tc.wantDim)
			}
			for name, f := range map[string]func(out []float64) error{
				"Reference": func(out []float64) error { return conv.Reference(tc.spec, tc.x, tc.k, out) },
				"Run":       func(out []float64) error { return conv.Run(tc.spec, tc.x, tc.k, out, 2) },
			} {
				out := make([]float64, len(tc.want))
				for i := range out {
					out[i] = 12345 // must be overwritten
				}
				if err := f(out); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !slices.Equal(out, tc.want) {
					t.Errorf("%s = %v, want %v", name, out, tc.want)
				}
			}
		})
	}
}

func TestOutputMatchesShapeInference(t *testing.T) {
	var specs []conv.Spec
	for _, g := range []geom{{2, 7, 7, 3, 5, 3, 1}, {2, 5, 9, 4, 6, 5, 2}, {1, 8, 8, 2, 2, 7, 2}, {3, 6, 6, 3, 3, 1, 1}} {
		for _, c := range configs {
			if c.dw {
				g.co = g.ci
			}
			specs = append(specs, c.spec(g))
		}
	}
	specs = append(specs, conv.Spec{Input: []int{2, 3, 10, 11}, Kernel: []int{6, 1, 2, 3},
		Axes: compute.ConvolveAxesConfig{InputBatch: 0, InputChannels: 1, InputSpatial: []int{2, 3},
			KernelInputChannels: 1, KernelOutputChannels: 0, KernelSpatial: []int{2, 3},
			OutputBatch: 0, OutputChannels: 1, OutputSpatial: []int{2, 3}},
		Strides: []int{3, 2}, Paddings: [][2]int{{0, 2}, {1, 0}}, InputDilations: []int{2, 1}, KernelDilations: []int{1, 3},
		FeatureGroups: 3})
	for i, s := range specs {
		got, err := s.Output()
		if err != nil {
			t.Fatalf("spec %d: %v", i, err)
		}
		want, err := shapeinference.ConvGeneral(shapes.Make(dtypes.Float32, s.Input...), shapes.Make(dtypes.Float32, s.Kernel...),
			s.Axes, s.Strides, s.Paddings, s.InputDilations, s.KernelDilations, max(s.FeatureGroups, 1), max(s.BatchGroups, 1))
		if err != nil {
			t.Fatalf("spec %d: shapeinference: %v", i, err)
		}
		if !slices.Equal(got, want.Dimensions) {
			t.Errorf("spec %d: Output() = %v, shapeinference %v", i, got, want.Dimensions)
		}
	}
}

func TestErrors(t *testing.T) {
	good := forward(geom{2, 5, 5, 3, 4, 3, 1})
	tests := []struct {
		name   string
		modify func(s *conv.Spec)
		field  string
	}{
		{"zero-stride", func(s *conv.Spec) { s.Strides = []int{1, 0} }, "Strides[1]"},
		{"strides-length", func(s *conv.Spec) { s.Strides = []int{1} }, "Strides"},
		{"negative-padding", func(s *conv.Spec) { s.Paddings = [][2]int{{-1, 0}, {0, 0}} }, "Paddings[0]"},
		{"zero-input-dilation", func(s *conv.Spec) { s.InputDilations = []int{0, 1} }, "InputDilations[0]"},
		{"zero-kernel-dilation", func(s *conv.Spec) { s.KernelDilations = []int{1, -2} }, "KernelDilations[1]"},
		{"channel-mismatch", func(s *conv.Spec) { s.Kernel = []int{3, 3, 2, 4} }, "Kernel"},
		{"groups-not-dividing", func(s *conv.Spec) { s.FeatureGroups = 2 }, "FeatureGroups"},
		{"batch-groups-not-dividing", func(s *conv.Spec) { s.BatchGroups = 4; s.Input[0] = 3 }, "BatchGroups"},
		{"both-groups", func(s *conv.Spec) { s.FeatureGroups, s.BatchGroups = 3, 2 }, "FeatureGroups"},
		{"rank", func(s *conv.Spec) { s.Kernel = []int{3, 3, 3} }, "Kernel"},
		{"duplicate-axis", func(s *conv.Spec) { s.Axes.InputChannels = 0 }, "Axes.InputChannels"},
		{"axis-out-of-range", func(s *conv.Spec) { s.Axes.OutputSpatial = []int{1, 4} }, "Axes.OutputSpatial[1]"},
		{"kernel-too-large", func(s *conv.Spec) { s.Kernel = []int{9, 3, 3, 4} }, "Kernel[0]"},
		{"zero-dimension", func(s *conv.Spec) { s.Input[1] = 0 }, "Input[1]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := good
			s.Input, s.Kernel = slices.Clone(good.Input), slices.Clone(good.Kernel)
			s.Axes = good.Axes.Clone()
			tc.modify(&s)
			_, err := s.Output()
			if err == nil || !errors.Is(err, conv.ErrSpec) || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Output() error = %v, want ErrSpec naming %q", err, tc.field)
			}
			x := make([]float32, size(s.Input))
			k := make([]float32, size(s.Kernel))
			out := make([]float32, 1000)
			if err := conv.Run(s, x, k, out, 1); err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Run error = %v, want one naming %q", err, tc.field)
			}
			if err := conv.Reference(s, x, k, out); err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Reference error = %v, want one naming %q", err, tc.field)
			}
		})
	}
	// Wrong slice lengths.
	outDims, _ := good.Output()
	nx, nk, no := size(good.Input), size(good.Kernel), size(outDims)
	for _, tc := range []struct {
		name       string
		nx, nk, no int
		word       string
	}{
		{"input", nx - 1, nk, no, "input"},
		{"kernel", nx, nk + 1, no, "kernel"},
		{"out", nx, nk, no + 3, "out"},
	} {
		t.Run("size-"+tc.name, func(t *testing.T) {
			x, k, out := make([]float64, tc.nx), make([]float64, tc.nk), make([]float64, tc.no)
			for name, err := range map[string]error{
				"Run":       conv.Run(good, x, k, out, 0),
				"Reference": conv.Reference(good, x, k, out),
			} {
				if !errors.Is(err, conv.ErrSize) || !strings.HasPrefix(strings.TrimPrefix(err.Error(), conv.ErrSize.Error()+": "), tc.word) {
					t.Errorf("%s error = %v, want ErrSize about the %s", name, err, tc.word)
				}
			}
		})
	}
}

// geoms are small shapes covering kernels 1/3/5/7, strides 1/2, odd and
// non-square sizes, and channel counts that are 1 or not multiples of the
// block sizes.
var geoms = []geom{
	{2, 7, 7, 3, 5, 3, 1},
	{2, 7, 7, 3, 5, 3, 2},
	{1, 5, 9, 1, 1, 3, 2},
	{3, 5, 9, 6, 7, 5, 1},
	{2, 9, 5, 5, 9, 5, 2},
	{2, 8, 8, 4, 17, 7, 1},
	{1, 9, 9, 13, 2, 7, 2},
	{2, 6, 6, 9, 11, 1, 1},
	{1, 8, 8, 19, 33, 3, 2},
	{4, 4, 4, 16, 16, 3, 1},
}

func runVsReference[T float32 | float64](t *testing.T, rtol float64) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, g := range geoms {
		for _, c := range configs {
			g := g
			if c.dw {
				g.co = g.ci
			}
			s := c.spec(g)
			t.Run(c.name+"/"+g.String(), func(t *testing.T) {
				checkRun[T](t, r, s, rtol)
			})
		}
	}
}

func checkRun[T float32 | float64](t *testing.T, r *rand.Rand, s conv.Spec, rtol float64) {
	t.Helper()
	dims, err := s.Output()
	if err != nil {
		t.Fatal(err)
	}
	x, k := randSlice[T](r, size(s.Input)), randSlice[T](r, size(s.Kernel))
	want := make([]T, size(dims))
	if err := conv.Reference(s, x, k, want); err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 3} {
		got := make([]T, len(want))
		for i := range got {
			got[i] = 7
		}
		if err := conv.Run(s, x, k, got, workers); err != nil {
			t.Fatal(err)
		}
		compare(t, got, want, rtol)
	}
}

func TestRunFloat32(t *testing.T) { runVsReference[float32](t, 1e-4) }
func TestRunFloat64(t *testing.T) { runVsReference[float64](t, 1e-10) }

// TestRunGeneral covers paddings, strides and dilations on both axes,
// feature and batch groups with several channels per group, and 1 and 3
// spatial axes.
func TestRunGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ax3 := compute.ConvolveAxesConfig{InputBatch: 0, InputChannels: 4, InputSpatial: []int{1, 2, 3},
		KernelInputChannels: 3, KernelOutputChannels: 4, KernelSpatial: []int{0, 1, 2},
		OutputBatch: 0, OutputChannels: 4, OutputSpatial: []int{1, 2, 3}}
	tests := []struct {
		name string
		spec conv.Spec
	}{
		{"dilations-both", conv.Spec{Input: []int{2, 6, 7, 3}, Kernel: []int{3, 2, 3, 4}, Axes: nhwc,
			Strides: []int{2, 3}, Paddings: [][2]int{{0, 3}, {2, 1}}, InputDilations: []int{2, 3}, KernelDilations: []int{2, 1}}},
		{"input-dilation3-k1", conv.Spec{Input: []int{2, 4, 5, 3}, Kernel: []int{1, 1, 3, 2}, Axes: nhwc,
			Paddings: [][2]int{{1, 2}, {0, 1}}, InputDilations: []int{3, 2}}},
		{"feature-groups3", conv.Spec{Input: []int{2, 7, 6, 6}, Kernel: []int{3, 3, 2, 9}, Axes: nhwc,
			Strides: []int{1, 2}, Paddings: [][2]int{{1, 1}, {1, 1}}, FeatureGroups: 3}},
		{"depthwise-multiplier2", conv.Spec{Input: []int{2, 7, 6, 5}, Kernel: []int{3, 3, 1, 10}, Axes: nhwc,
			Paddings: [][2]int{{1, 1}, {1, 1}}, InputDilations: []int{2, 1}, FeatureGroups: 5}},
		{"depthwise-dilations", conv.Spec{Input: []int{2, 9, 8, 6}, Kernel: []int{3, 2, 1, 6}, Axes: nhwc,
			Strides: []int{1, 2}, Paddings: [][2]int{{2, 1}, {0, 3}}, InputDilations: []int{3, 2}, KernelDilations: []int{2, 3},
			FeatureGroups: 6}},
		{"batch-groups3", conv.Spec{Input: []int{6, 5, 5, 4}, Kernel: []int{2, 3, 4, 6}, Axes: nhwc,
			Paddings: [][2]int{{1, 0}, {0, 1}}, BatchGroups: 3}},
		{"batch-groups-co-per-group1", conv.Spec{Input: []int{6, 5, 5, 4}, Kernel: []int{2, 3, 4, 3}, Axes: nhwc,
			KernelDilations: []int{2, 1}, BatchGroups: 3}},
		{"1d", conv.Spec{Input: []int{3, 11, 4}, Kernel: []int{3, 4, 5}, Axes: axes1D,
			Strides: []int{2}, Paddings: [][2]int{{1, 2}}, InputDilations: []int{2}}},
		{"3d", conv.Spec{Input: []int{2, 4, 5, 3, 2}, Kernel: []int{2, 3, 1, 2, 3}, Axes: ax3,
			Strides: []int{1, 2, 1}, Paddings: [][2]int{{1, 0}, {0, 1}, {1, 1}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name+"/float32", func(t *testing.T) { checkRun[float32](t, r, tc.spec, 1e-4) })
		t.Run(tc.name+"/float64", func(t *testing.T) { checkRun[float64](t, r, tc.spec, 1e-10) })
	}
}

// TestRunAxesPermutations runs every config with the three operands' axes
// randomly permuted and checks the result, put back into the original
// layout, against Reference on the original layout.
func TestRunAxesPermutations(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i, g := range []geom{{2, 7, 5, 3, 5, 3, 2}, {3, 6, 6, 4, 6, 5, 1}, {2, 5, 7, 8, 8, 1, 1}} {
		for _, c := range configs {
			g := g
			if c.dw {
				g.co = g.ci
			}
			s := c.spec(g)
			for trial := range 3 {
				pin, pk, pout := r.Perm(4), r.Perm(4), r.Perm(4)
				t.Run(fmt.Sprintf("%s/%d/%v%v%v", c.name, i, pin, pk, pout), func(t *testing.T) {
					_ = trial
					dims, _ := s.Output()
					x, k := randSlice[float64](r, size(s.Input)), randSlice[float64](r, size(s.Kernel))
					want := make([]float64, size(dims))
					if err := conv.Reference(s, x, k, want); err != nil {
						t.Fatal(err)
					}
					ps, px, pk2 := permuted(s, x, k, pin, pk, pout)
					pdims, err := ps.Output()
					if err != nil {
						t.Fatal(err)
					}
					got := make([]float64, size(pdims))
					if err := conv.Run(ps, px, pk2, got, 2); err != nil {
						t.Fatal(err)
					}
					back, _ := transpose(got, pdims, inverse(pout))
					compare(t, back, want, 1e-10)
				})
			}
		}
	}
}

// TestRunModelSize runs the configs at sizes where every GEMM has
// several row chunks, several depth blocks and several column panels (the
// second with an odd depth in its last block and a last panel that is
// not full, the third pointwise).
func TestRunModelSize(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, g0 := range []geom{{4, 16, 16, 40, 36, 5, 2}, {2, 9, 9, 45, 50, 3, 1}, {4, 16, 16, 41, 36, 1, 1}} {
		for _, c := range configs {
			g := g0
			if c.dw {
				g.co = g.ci
			}
			s := c.spec(g)
			t.Run(c.name+"/"+g.String(), func(t *testing.T) {
				checkRun[float32](t, r, s, 1e-4)
				checkRun[float64](t, r, s, 1e-10)
			})
		}
	}
}

// TestRunConcurrent runs several convolutions at once (Run shares only
// its scratch pools between calls).
func TestRunConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	type job struct {
		s          conv.Spec
		x, k, want []float32
	}
	var jobs []job
	for i, c := range configs {
		g := geoms[i%len(geoms)]
		if c.dw {
			g.co = g.ci
		}
		s := c.spec(g)
		dims, _ := s.Output()
		j := job{s: s, x: randSlice[float32](r, size(s.Input)), k: randSlice[float32](r, size(s.Kernel)), want: make([]float32, size(dims))}
		if err := conv.Reference(s, j.x, j.k, j.want); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	errs := make(chan error, len(jobs)*4)
	outs := make([][]float32, len(jobs)*4)
	done := make(chan struct{})
	for i := range outs {
		go func() {
			defer func() { done <- struct{}{} }()
			j := jobs[i%len(jobs)]
			outs[i] = make([]float32, len(j.want))
			if err := conv.Run(j.s, j.x, j.k, outs[i], 2); err != nil {
				errs <- err
			}
		}()
	}
	for range outs {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, out := range outs {
		compare(t, out, jobs[i%len(jobs)].want, 1e-4)
	}
}

// TestSpatialGrad runs kernel gradients that spatialGrad computes from x
// in place (where the build has its micro kernel): kernels 1, 3, 5 and 7,
// strides 1 and 2, widths where a tap column keeps fewer positions than a
// row has, input channels that do not fill the last panel (1x1: 3, 13,
// 41), output channels that do not fill the last panel (and one
// panel alone), images whose rows take several blocks and blocks of
// several whole images (the last one short), 1x1 kernels on images of 4x4
// (rows joined into one segment), both output layouts, against the
// reference with 1, 2 and 3 workers.
func TestSpatialGrad(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	before := conv.SpatialGradRuns()
	for _, g := range []geom{{3, 12, 12, 8, 20, 3, 1}, {2, 17, 17, 16, 16, 5, 2}, {2, 9, 9, 24, 40, 7, 1},
		{2, 40, 40, 8, 8, 3, 1}, {5, 16, 16, 16, 56, 3, 2}, {2, 8, 8, 8, 3, 5, 1},
		{3, 8, 8, 3, 32, 1, 1}, {11, 4, 4, 13, 21, 1, 1}, {4, 16, 16, 41, 36, 1, 1}, {11, 4, 4, 16, 24, 1, 1}} {
		for _, hwio := range []bool{false, true} {
			s := kernelGrad(g, hwio)
			t.Run(fmt.Sprintf("%s/hwio=%v", g, hwio), func(t *testing.T) {
				dims, _ := s.Output()
				x, k := randSlice[float32](r, size(s.Input)), randSlice[float32](r, size(s.Kernel))
				want := make([]float32, size(dims))
				if err := conv.Reference(s, x, k, want); err != nil {
					t.Fatal(err)
				}
				for _, workers := range []int{1, 2, 3} {
					got := make([]float32, len(want))
					for i := range got {
						got[i] = 7
					}
					if err := conv.Run(s, x, k, got, workers); err != nil {
						t.Fatal(err)
					}
					compare(t, got, want, 1e-4)
				}
			})
		}
	}
	if conv.SpatialGradRuns() == before && conv.FMAPeak(1) > 0 {
		t.Error("no kernel gradient ran from x in place")
	}
}

// TestRunDepthSplit runs kernel gradients with few output rows and a long
// sum (a stem's: 3 input channels), which the GEMM splits by depth
// between workers, each part into its own copy of the output.
func TestRunDepthSplit(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, g := range []geom{{8, 16, 16, 3, 20, 3, 1}, {8, 16, 16, 3, 33, 3, 2}, {6, 12, 12, 2, 16, 5, 1}} {
		for _, hwio := range []bool{false, true} {
			s := kernelGrad(g, hwio)
			t.Run(fmt.Sprintf("%s/hwio=%v", g, hwio), func(t *testing.T) {
				checkRun[float32](t, r, s, 1e-4)
				checkRun[float64](t, r, s, 1e-10)
			})
		}
	}
}
