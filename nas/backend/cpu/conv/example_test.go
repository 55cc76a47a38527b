package conv_test

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// A 3x3 convolution of a 1x4x4x1 NHWC image with padding 1 and stride 2,
// kernel HWIO.
func Example() {
	s := conv.Spec{
		Input:  []int{1, 4, 4, 1},
		Kernel: []int{3, 3, 1, 1},
		Axes: compute.ConvolveAxesConfig{
			InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
			KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
			OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
		},
		Strides:  []int{2, 2},
		Paddings: [][2]int{{1, 1}, {1, 1}},
	}
	dims, err := s.Output()
	if err != nil {
		fmt.Println(err)
		return
	}
	x := []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
		13, 14, 15, 16,
	}
	k := []float32{ // sums the 3x3 window
		1, 1, 1,
		1, 1, 1,
		1, 1, 1,
	}
	out := make([]float32, 4)
	if err := conv.Run(s, x, k, out, 0); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dims, out)
	// Output: [1 2 2 1] [14 30 57 99]
}

// Errors name the field at fault.
func ExampleSpec_Output() {
	s := conv.Spec{
		Input:  []int{1, 4, 4, 1},
		Kernel: []int{3, 3, 1, 1},
		Axes: compute.ConvolveAxesConfig{
			InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
			KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
			OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2},
		},
		Strides: []int{2, 0},
	}
	_, err := s.Output()
	fmt.Println(err)
	// Output: conv: invalid spec: Strides[1]: is 0, must be >= 1
}
