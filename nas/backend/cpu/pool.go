package cpu

import (
	"math"
	"sync"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// outPool keeps buffers that an executable is done with (at their last
// use) for the next kernel step output of the same shape. The Go backend's
// shared buffers (the only ones whose memory a kernel can write) never go
// back to its own pool: without this every kernel step of every training
// iteration would allocate, and zero, its outputs afresh. A pooled buffer
// is not zeroed: kernels write every element of their outputs. At most
// poolPerShape buffers of a shape are kept.
type outPool struct {
	mu   sync.Mutex
	free map[string][]pooled // by shape
}

const poolPerShape = 32

type pooled struct {
	buf  compute.Buffer
	flat any
}

// poisonPooled fills buffers put back with NaN (float) or 0x5a bytes, so
// that a kernel reading what it did not write shows in the tests.
var poisonPooled = false

// get returns a buffer of shape for a kernel step's output, and its data.
func (p *outPool) get(be compute.Backend, shape shapes.Shape) (compute.Buffer, any, error) {
	key := shape.String()
	p.mu.Lock()
	if list := p.free[key]; len(list) > 0 {
		b := list[len(list)-1]
		p.free[key] = list[:len(list)-1]
		p.mu.Unlock()
		return b.buf, b.flat, nil
	}
	p.mu.Unlock()
	return be.NewSharedBuffer(0, shape)
}

// release takes buf, which its executable is done with, into the pool, or
// finalizes it when the pool has enough of its shape.
func (p *outPool) release(buf compute.Buffer) {
	shape, err := buf.Shape()
	var flat any
	if err == nil {
		flat, err = buf.Data()
	}
	if err == nil {
		key := shape.String()
		p.mu.Lock()
		if p.free == nil {
			p.free = map[string][]pooled{}
		}
		if len(p.free[key]) < poolPerShape {
			if poisonPooled {
				poison(flat)
			}
			p.free[key] = append(p.free[key], pooled{buf, flat})
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	_ = buf.Finalize()
}

// drain finalizes the free buffers.
func (p *outPool) drain() {
	p.mu.Lock()
	free := p.free
	p.free = nil
	p.mu.Unlock()
	for _, list := range free {
		for _, b := range list {
			_ = b.buf.Finalize()
		}
	}
}
func poison(flat any) {
	switch f := flat.(type) {
	case []float32:
		for i := range f {
			f[i] = float32(math.NaN())
		}
	case []float64:
		for i := range f {
			f[i] = math.NaN()
		}
	case []byte:
		for i := range f {
			f[i] = 0x5a
		}
	}
}
