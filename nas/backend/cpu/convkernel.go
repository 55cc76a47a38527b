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

// runKernel runs the step with conv.RunEpilogue on the flat data of the Go
// backend buffers, into a new Go backend buffer; workers is the backend's
// parallelism. epi holds the buffers of the epilogue's operands.
func (k *kernelStep) runKernel(be *backend, x, kernel compute.Buffer, epi []compute.Buffer) (compute.Buffer, error) {
	ins := append([]compute.Buffer{x, kernel}, epi...)
	outs, err := runFlat(be, ins, []shapes.Shape{k.out.shape}, func(ins, outs []any) error {
		switch k.out.shape.DType {
		case dtypes.Float32:
			return runConvTyped[float32](k, ins, outs[0], be.workers)
		case dtypes.Float64:
			return runConvTyped[float64](k, ins, outs[0], be.workers)
		}
		return fmt.Errorf("dtype %s not supported by the convolution kernels", k.out.shape.DType)
	})
	if err != nil {
		return nil, err
	}
	return outs[0], nil
}

// runConvTyped asserts the flat slices' type and calls conv.RunEpilogue.
func runConvTyped[T float32 | float64](k *kernelStep, ins []any, out any, workers int) error {
	xs, ok1 := ins[0].([]T)
	ks, ok2 := ins[1].([]T)
	os, ok3 := out.([]T)
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("flat data of types %T, %T, %T", ins[0], ins[1], out)
	}
	var epi func([]T)
	if k.epi != nil {
		var err error
		if epi, err = epilogueFunc[T](k.epi, ins[2:]); err != nil {
			return err
		}
	}
	return conv.RunEpilogue(k.spec, xs, ks, os, epi, workers)
}
