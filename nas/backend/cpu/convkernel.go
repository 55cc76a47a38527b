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

// runKernel runs the step with package conv on the flat data of the Go
// backend buffers ins (those of uses()), into a new Go backend buffer;
// workers is the backend's parallelism.
func (k *kernelStep) runKernel(be *backend, ins []compute.Buffer) (compute.Buffer, error) {
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

// runConvTyped asserts the flat slices' type and calls conv.RunEpilogue,
// or conv.RunSeparable for a step with dw.
func runConvTyped[T float32 | float64](k *kernelStep, ins []any, out any, workers int) error {
	n := 2
	if k.dw != nil {
		n = 3
	}
	v, err := typedFlats[T](append(ins[:n:n], out), "convolution operand", 0)
	if err != nil {
		return err
	}
	var epi *conv.Epilogue[T]
	if k.epi != nil {
		if epi, err = epilogueFunc[T](k.epi, ins[n:]); err != nil {
			return err
		}
	}
	if k.dw != nil {
		return conv.RunSeparable(k.dw.spec, k.spec, v[0], v[1], v[2], v[3], epi, workers)
	}
	return conv.RunEpilogue(k.spec, v[0], v[1], v[2], epi, workers)
}
