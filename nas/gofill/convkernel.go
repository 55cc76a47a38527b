package gofill

import (
	"errors"

	"github.com/gomlx/gomlx/backends"
)

// kernelsTake reports whether gofill's convolution kernels run this step.
func (k *kernelStep) kernelsTake() bool { return false }

// runKernel runs the step with gofill's convolution kernels.
func (k *kernelStep) runKernel(be *backend, x, kernel backends.Buffer) (backends.Buffer, error) {
	return nil, errors.New("no convolution kernels")
}
