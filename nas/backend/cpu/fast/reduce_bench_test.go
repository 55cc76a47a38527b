package fast_test

import (
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

// BenchmarkReduceSum times BatchNorm-shaped sums (batch 64, 32x32) with one
// worker; compare with BenchmarkReduceSumCopyCalibration, a copy of the
// same input.
func BenchmarkReduceSum(b *testing.B) {
	for _, tc := range []struct {
		name string
		dims []int
		axes []int
	}{
		{"NHWC to C/C=16", []int{64, 32, 32, 16}, []int{0, 1, 2}},
		{"NHWC to C/C=72", []int{64, 32, 32, 72}, []int{0, 1, 2}},
		{"NHWC to N/C=16", []int{64, 32, 32, 16}, []int{1, 2, 3}},
	} {
		in := make([]float32, prod(tc.dims))
		for i := range in {
			in[i] = float32(i%7) - 3
		}
		out := make([]float32, len(in)/prodAxes(tc.dims, tc.axes))
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(in)))
			for range b.N {
				if err := fast.ReduceSum(in, tc.dims, tc.axes, out, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/copy calibration", func(b *testing.B) {
			b.SetBytes(int64(4 * len(in)))
			dst := make([]float32, len(in))
			for range b.N {
				copy(dst, in)
			}
		})
	}
}
