package conv_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// BenchmarkConv runs the model's six configs (the kernel gradient in both
// output layouts) at batch 64, kernel 3 with stride 1 and 2 and (not
// depthwise) the 1x1 pointwise convolution or (depthwise) kernels 5 and
// 7 with stride 1 and 2, for C = 16, 56 and 112 at
// 32x32 and the later stages of the final network (C = 112 at 16x16,
// C = 224 at 8x8), through Run ("Run") and through the Go backend's ConvGeneral
// ("SimpleGo", the Go backend, the reference ratio), reporting GFLOP/s of the forward
// convolution's work, and GFLOP per CPU-second of the process (a measure
// that other load on the machine disturbs less). The Go backend takes seconds per call at C=112: run with
// e.g. -benchtime=2x, or -bench 'Conv/.*/Run' for Run alone.
func BenchmarkConv(b *testing.B) {
	be, err := gobackend.New("")
	if err != nil {
		b.Fatal(err)
	}
	defer be.Finalize()
	r := rand.New(rand.NewPCG(11, 12))
	type shape struct{ k, s int }
	for _, c := range configs {
		shapes := []shape{{3, 1}, {3, 2}}
		if !c.dw {
			shapes = append(shapes, shape{1, 1}) // pointwise
		} else {
			shapes = append(shapes, shape{5, 1}, shape{7, 1}, shape{5, 2}, shape{7, 2})
		}
		for _, sz := range []struct{ ch, hw int }{{16, 32}, {56, 32}, {112, 32}, {112, 16}, {224, 8}} {
			ch := sz.ch
			for _, sh := range shapes {
				g := geom{64, sz.hw, sz.hw, ch, ch, sh.k, sh.s}
				spec := c.spec(g)
				fl := flops(g, c.dw)
				dims, err := spec.Output()
				if err != nil {
					b.Fatal(err)
				}
				var x, k []float32
				data := func() {
					if x == nil {
						x, k = randSlice[float32](r, size(spec.Input)), randSlice[float32](r, size(spec.Kernel))
					}
				}
				name := fmt.Sprintf("%s/C%d/k%d_s%d", c.name, ch, sh.k, sh.s)
				if sz.hw != 32 {
					name = fmt.Sprintf("%s/C%d_%dx%d/k%d_s%d", c.name, ch, sz.hw, sz.hw, sh.k, sh.s)
				}
				b.Run(name+"/Run", func(b *testing.B) {
					data()
					out := make([]float32, size(dims))
					cpu := cpuSeconds()
					for b.Loop() {
						if err := conv.Run(spec, x, k, out, 0); err != nil {
							b.Fatal(err)
						}
					}
					report(b, fl, cpuSeconds()-cpu)
				})
				b.Run(name+"/SimpleGo", func(b *testing.B) {
					data()
					e, err := simpleGoExec(be, spec)
					if err != nil {
						b.Fatal(err)
					}
					defer e.Finalize()
					xt := tensors.FromFlatDataAndDimensions(x, spec.Input...)
					kt := tensors.FromFlatDataAndDimensions(k, spec.Kernel...)
					if _, err := e.Exec(xt, kt); err != nil { // compile and warm up
						b.Fatal(err)
					}
					cpu := cpuSeconds()
					for b.Loop() {
						res, err := e.Exec(xt, kt)
						if err != nil {
							b.Fatal(err)
						}
						res[0].FinalizeAll()
					}
					report(b, fl, cpuSeconds()-cpu)
				})
			}
		}
	}
}

// report adds GFLOP/s (wall clock) and GFLOP per CPU-second.
func report(b *testing.B, flops, cpu float64) {
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkConvStem runs a stem convolution (3 input channels, 32 output,
// 32x32, batch 64) forward and its kernel gradient, whose GEMMs are
// shallow (forward: 27 values deep) or short (kernel gradient: 27 rows),
// reporting GFLOP/s and GFLOP per CPU-second of the forward work.
func BenchmarkConvStem(b *testing.B) {
	g := geom{64, 32, 32, 3, 32, 3, 1}
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name string
		s    conv.Spec
	}{{"fwd", forward(g)}, {"kgrad", kernelGrad(g, false)}} {
		b.Run(c.name, func(b *testing.B) {
			x, k := randSlice[float32](r, size(c.s.Input)), randSlice[float32](r, size(c.s.Kernel))
			od, _ := c.s.Output()
			out := make([]float32, size(od))
			cpu := cpuSeconds()
			for b.Loop() {
				_ = conv.Run(c.s, x, k, out, 2)
			}
			report(b, flops(g, false), cpuSeconds()-cpu)
		})
	}
}
