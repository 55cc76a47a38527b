package conv_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// withDefaults returns s with strides and dilations spelled out: the Go
// backend refuses zero ones (see the package cpu's ConvGeneral).
func withDefaults(s conv.Spec) conv.Spec {
	sp := len(s.Input) - 2
	if s.Strides == nil {
		s.Strides = ones(sp, 1)
	}
	if s.InputDilations == nil {
		s.InputDilations = ones(sp, 1)
	}
	if s.KernelDilations == nil {
		s.KernelDilations = ones(sp, 1)
	}
	if s.Paddings == nil {
		s.Paddings = make([][2]int, sp)
	}
	return s
}

// simpleGoExec builds the Go backend's ConvGeneral for s once; call it with
// tensors of x and k.
func simpleGoExec(b compute.Backend, s conv.Spec) (*graph.Exec, error) {
	s = withDefaults(s)
	return graph.NewExec(b, func(x, k *graph.Node) *graph.Node {
		return graph.ConvGeneral(x, k, s.Axes, s.Strides, s.Paddings, s.InputDilations, s.KernelDilations,
			max(s.FeatureGroups, 1), max(s.BatchGroups, 1))
	})
}

func simpleGoConv[T float32 | float64](b compute.Backend, s conv.Spec, x, k []T) ([]T, error) {
	e, err := simpleGoExec(b, s)
	if err != nil {
		return nil, err
	}
	defer e.Finalize()
	res, err := e.Exec(tensors.FromFlatDataAndDimensions(x, s.Input...), tensors.FromFlatDataAndDimensions(k, s.Kernel...))
	if err != nil {
		return nil, err
	}
	return tensors.CopyFlatData[T](res[0])
}

// TestReferenceVsSimpleGo checks Reference against the Go backend's ConvGeneral
// on the model's configs, except the batch-group one (see
// TestDepthwiseKernelGradPerChannel).
func TestReferenceVsSimpleGo(t *testing.T) {
	b, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	r := rand.New(rand.NewPCG(7, 8))
	for _, g := range []geom{{2, 7, 7, 3, 5, 3, 2}, {2, 5, 9, 4, 3, 5, 1}, {1, 8, 8, 2, 3, 7, 2}} {
		for _, c := range configs {
			g := g
			if c.dw {
				g.co = g.ci
			}
			s := c.spec(g)
			if s.BatchGroups > 1 {
				continue // see TestDepthwiseKernelGradPerChannel
			}
			t.Run(c.name+"/"+g.String(), func(t *testing.T) {
				dims, _ := s.Output()
				x, k := randSlice[float64](r, size(s.Input)), randSlice[float64](r, size(s.Kernel))
				want, err := simpleGoConv(b, s, x, k)
				if err != nil {
					t.Fatal(err)
				}
				got := make([]float64, size(dims))
				if err := conv.Reference(s, x, k, got); err != nil {
					t.Fatal(err)
				}
				compare(t, got, want, 1e-12)
			})
		}
	}
}

// TestDepthwiseKernelGradPerChannel checks the batch-group config (the
// depthwise kernel gradient) against the Go backend computing each
// channel's kernel gradient as a plain one-channel kernel gradient. The Go
// backend's own batch-group ConvGeneral cannot be the reference (GoMLX's
// SimpleGo v0.26.0 took the batch group of output channel o as o/BatchGroups;
// compute v0.1.3 indexes out of range); the test logs whether it still
// fails.
func TestDepthwiseKernelGradPerChannel(t *testing.T) {
	b, err := gobackend.New("")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Finalize()
	seq, err := gobackend.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	defer seq.Finalize()
	r := rand.New(rand.NewPCG(9, 10))
	for _, g := range []geom{{2, 7, 7, 3, 3, 3, 2}, {3, 5, 9, 4, 4, 5, 1}} {
		t.Run(g.String(), func(t *testing.T) {
			s := dwKernelGrad(g)
			dims, _ := s.Output() // [k,k,1,c]
			x, v := randSlice[float64](r, size(s.Input)), randSlice[float64](r, size(s.Kernel))
			got := make([]float64, size(dims))
			if err := conv.Reference(s, x, v, got); err != nil {
				t.Fatal(err)
			}
			one := g
			one.ci, one.co = 1, 1
			s1 := kernelGrad(one, true) // output [k,k,1,1]
			want := make([]float64, len(got))
			for c := range g.ci {
				xc := channel(x, g.ci, c)
				vc := channel(v, g.ci, c)
				wc, err := simpleGoConv(b, s1, xc, vc)
				if err != nil {
					t.Fatal(err)
				}
				for i, w := range wc {
					want[i*g.ci+c] = w
				}
			}
			compare(t, got, want, 1e-12)
			// The Go backend's batch-group ConvGeneral (compute v0.1.3)
			// indexes out of range; its ops run in sequence here so that
			// the panic is this goroutine's to recover.
			sg, err := func() (sg []float64, err error) {
				defer func() {
					if r := recover(); r != nil {
						err = fmt.Errorf("panic: %v", r)
					}
				}()
				return simpleGoConv(seq, s, x, v)
			}()
			if err != nil {
				t.Logf("the Go backend's batch-group ConvGeneral fails: %v", err)
				return
			}
			diff := 0
			for i := range sg {
				if d := sg[i] - want[i]; d > 1e-9 || d < -1e-9 {
					diff++
				}
			}
			t.Logf("the Go backend's batch-group ConvGeneral differs from the per-channel gradient in %d of %d values", diff, len(sg))
		})
	}
}

// channel returns channel c of a flat [..., channels] slice.
func channel[T any](data []T, channels, c int) []T {
	out := make([]T, 0, len(data)/channels)
	for i := c; i < len(data); i += channels {
		out = append(out, data[i])
	}
	return out
}
