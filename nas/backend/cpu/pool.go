package cpu

import (
	"fmt"
	"math"
	"reflect"
	"sync/atomic"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// outPool takes kernel step outputs from the Go backend's own pool of
// buffers and gives buffers an executable is done with back to it.
//
// Why not NewSharedBuffer: the Go backend marks shared buffers as fed by
// the user, and drops them (to the garbage collector) instead of pooling
// them when a segment they are donated to is done with them. Every kernel
// output of every training step was then fresh memory: its page faults
// and zeroing made the element-wise kernels that write large outputs up
// to four times slower, and the process held half again as much memory.
// GetBuffer and PutBuffer are exported methods of the Go backend's
// (internal) type, so they are reached by reflection, checked once.
type outPool struct {
	getBuf, putBuf reflect.Value // GetBuffer(shapes.Shape) (*Buffer, error), PutBuffer(*Buffer)
	bufType        reflect.Type  // the Go backend's *Buffer
	returned       atomic.Int64  // buffers given back, for the tests
}

// poisonPooled fills buffers given back with NaN (float) or 0x5a bytes,
// so that a kernel reading what it did not write shows in the tests.
var poisonPooled = false

// newOutPool finds the pool methods of the Go backend inner.
func newOutPool(inner compute.Backend) (*outPool, error) {
	v := reflect.ValueOf(inner)
	get, put := v.MethodByName("GetBuffer"), v.MethodByName("PutBuffer")
	bufIface := reflect.TypeFor[compute.Buffer]()
	if !get.IsValid() || !put.IsValid() {
		return nil, fmt.Errorf("%s: the Go backend (%T) has no GetBuffer/PutBuffer methods: kernel outputs cannot be pooled", Name, inner)
	}
	gt, pt := get.Type(), put.Type()
	if gt.NumIn() != 1 || gt.In(0) != reflect.TypeFor[shapes.Shape]() || gt.NumOut() != 2 ||
		!gt.Out(0).Implements(bufIface) || gt.Out(1) != reflect.TypeFor[error]() ||
		pt.NumIn() != 1 || pt.In(0) != gt.Out(0) || pt.NumOut() != 0 {
		return nil, fmt.Errorf("%s: the Go backend's GetBuffer (%s) or PutBuffer (%s) changed signature", Name, gt, pt)
	}
	return &outPool{getBuf: get, putBuf: put, bufType: gt.Out(0)}, nil
}

// get returns a buffer of shape for a kernel step's output, and its data.
// It is not zeroed: kernels write every element of their outputs.
func (p *outPool) get(shape shapes.Shape) (compute.Buffer, any, error) {
	out := p.getBuf.Call([]reflect.Value{reflect.ValueOf(shape)})
	if err, _ := out[1].Interface().(error); err != nil {
		return nil, nil, err
	}
	buf := out[0].Interface().(compute.Buffer)
	flat, err := buf.Data()
	if err != nil {
		return nil, nil, err
	}
	return buf, flat, nil
}

// release gives buf, which its executable is done with, back to the Go
// backend's pool (a buffer of another kind is finalized).
func (p *outPool) release(buf compute.Buffer) {
	if reflect.TypeOf(buf) != p.bufType {
		_ = buf.Finalize()
		return
	}
	if poisonPooled {
		if flat, err := buf.Data(); err == nil {
			poison(flat)
		}
	}
	p.putBuf.Call([]reflect.Value{reflect.ValueOf(buf)})
	p.returned.Add(1)
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
