package cpu

import (
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

// kernelsTake reports whether package conv runs this step: it takes every
// valid float32 or float64 ConvGeneral except negative paddings (which a
// one-op Go backend executable then runs).
func (k *kernelStep) kernelsTake() bool {
	_, err := k.spec.Output()
	return err == nil
}

// runKernel runs the step with conv.Run on the flat data of the Go backend
// buffers, into a new Go backend buffer; workers is the backend's parallelism.
func (k *kernelStep) runKernel(be *backend, x, kernel compute.Buffer) (compute.Buffer, error) {
	outs, err := runFlat(be, []compute.Buffer{x, kernel}, []shapes.Shape{k.out.shape}, func(ins, outs []any) error {
		switch k.out.shape.DType {
		case dtypes.Float32:
			return runTyped[float32](k.spec, ins[0], ins[1], outs[0], be.workers)
		case dtypes.Float64:
			return runTyped[float64](k.spec, ins[0], ins[1], outs[0], be.workers)
		}
		return fmt.Errorf("dtype %s not supported by the convolution kernels", k.out.shape.DType)
	})
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// runTyped asserts the flat slices' type and calls conv.Run.
func runTyped[T float32 | float64](spec conv.Spec, x, k, out any, workers int) error {
	xs, ok1 := x.([]T)
	ks, ok2 := k.([]T)
	os, ok3 := out.([]T)
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("flat data of types %T, %T, %T", x, k, out)
	}
	return conv.Run(spec, xs, ks, os, workers)
}
