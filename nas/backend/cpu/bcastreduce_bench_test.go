package cpu_test

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// BenchmarkBroadcastReduce times BatchNorm-shaped BroadcastInDim and
// ReduceSum (batch 64, 32x32, 16 or 72 channels, float32), and the ReLU's
// Max, Mul, Sign and ConvertDType from Bool, as small graphs on the plain
// Go backend ("go") and on this package's ("gofill"), which runs them as
// kernel steps; compare the two lines of each case (go test -bench
// BroadcastReduce -run '^$'). A kernel that stops winning can go.
func BenchmarkBroadcastReduce(b *testing.B) {
	cases := []struct {
		name string
		in   []int
		fn   func(bl compute.Function, x compute.Value, c int) (compute.Value, error)
	}{
		{"broadcast C to NHWC/C=16", []int{16}, func(bl compute.Function, x compute.Value, c int) (compute.Value, error) {
			return bl.BroadcastInDim(x, shapes.Make(dtypes.Float32, 64, 32, 32, c), []int{3})
		}},
		{"reduce NHWC to C/C=16", []int{64, 32, 32, 16}, func(bl compute.Function, x compute.Value, c int) (compute.Value, error) {
			return bl.ReduceSum(x, 0, 1, 2)
		}},
		{"broadcast C to NHWC/C=72", []int{72}, func(bl compute.Function, x compute.Value, c int) (compute.Value, error) {
			return bl.BroadcastInDim(x, shapes.Make(dtypes.Float32, 64, 32, 32, c), []int{3})
		}},
		{"reduce NHWC to C/C=72", []int{64, 32, 32, 72}, func(bl compute.Function, x compute.Value, c int) (compute.Value, error) {
			return bl.ReduceSum(x, 0, 1, 2)
		}},
		{"reduce NHWC to N/C=16", []int{64, 32, 32, 16}, func(bl compute.Function, x compute.Value, c int) (compute.Value, error) {
			return bl.ReduceSum(x, 1, 2, 3)
		}},
		// The ReLU's ops and its gradient's.
		{"max NHWC/C=16", []int{64, 32, 32, 16}, func(bl compute.Function, x compute.Value, c int) (compute.Value, error) {
			zero, err := bl.Constant([]float32{0})
			if err != nil {
				return nil, err
			}
			return bl.Max(x, zero)
		}},
		{"mul NHWC/C=16", []int{64, 32, 32, 16}, func(bl compute.Function, x compute.Value, c int) (compute.Value, error) {
			return bl.Mul(x, x)
		}},
		{"sign NHWC/C=16", []int{64, 32, 32, 16}, func(bl compute.Function, x compute.Value, c int) (compute.Value, error) {
			return bl.Sign(x)
		}},
		{"bool to float NHWC/C=16", []int{64, 32, 32, 16}, func(bl compute.Function, x compute.Value, c int) (compute.Value, error) {
			zero, err := bl.Constant([]float32{0})
			if err != nil {
				return nil, err
			}
			zeros, err := bl.BroadcastInDim(zero, shapes.Make(dtypes.Float32, 64, 32, 32, c), nil)
			if err != nil {
				return nil, err
			}
			mask, err := bl.GreaterThan(x, zeros)
			if err != nil {
				return nil, err
			}
			return bl.ConvertDType(mask, dtypes.Float32)
		}},
	}
	ref := newSimpleGo(b)
	fill := newGofill(b, "")
	for _, tc := range cases {
		c := tc.in[len(tc.in)-1]
		if len(tc.in) == 1 {
			c = tc.in[0]
		}
		for _, be := range []compute.Backend{ref, fill} {
			b.Run(tc.name+"/"+be.String(), func(b *testing.B) {
				bl := be.Builder("bench").Main()
				shape := shapes.Make(dtypes.Float32, tc.in...)
				x, err := bl.Parameter("x", shape, nil)
				if err != nil {
					b.Fatal(err)
				}
				y, err := tc.fn(bl, x, c)
				if err != nil {
					b.Fatal(err)
				}
				exec, err := compile(bl, []compute.Value{y})
				if err != nil {
					b.Fatal(err)
				}
				defer exec.Finalize()
				buf, err := be.BufferFromFlatData(0, make([]float32, shape.Size()), shape)
				if err != nil {
					b.Fatal(err)
				}
				defer buf.Finalize()
				b.ResetTimer()
				for range b.N {
					out, err := exec.Execute([]compute.Buffer{buf}, nil, 0)
					if err != nil {
						b.Fatal(err)
					}
					_ = out[0].Finalize()
				}
			})
		}
	}
}
