package cpu

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// buffer is a Go backend buffer handed to users of this backend: it says
// this backend owns it (GoMLX refuses to feed a tensor to a backend other
// than its buffer's), and is unwrapped on the way back in.
type buffer struct {
	compute.Buffer
	be *backend
}

// Backend implements compute.Buffer.
func (b *buffer) Backend() compute.Backend { return b.be }

// CopyToDevice implements compute.Buffer.
func (b *buffer) CopyToDevice(device compute.DeviceNum) (compute.Buffer, error) {
	c, err := b.Buffer.CopyToDevice(device)
	if err != nil {
		return nil, err
	}
	return b.be.wrap(c), nil
}

// wrap returns buf as a buffer of this backend.
func (be *backend) wrap(buf compute.Buffer) compute.Buffer {
	if buf == nil {
		return nil
	}
	if _, ok := buf.(*buffer); ok {
		return buf
	}
	return &buffer{Buffer: buf, be: be}
}

// unwrap returns the Go backend buffer of buf.
func unwrap(buf compute.Buffer) compute.Buffer {
	if b, ok := buf.(*buffer); ok {
		return b.Buffer
	}
	return buf
}

// BufferFromFlatData implements compute.Backend.
func (be *backend) BufferFromFlatData(device compute.DeviceNum, flat any, shape shapes.Shape) (compute.Buffer, error) {
	buf, err := be.Backend.BufferFromFlatData(device, flat, shape)
	if err != nil {
		return nil, err
	}
	return be.wrap(buf), nil
}

// NewSharedBuffer implements compute.Backend.
func (be *backend) NewSharedBuffer(device compute.DeviceNum, shape shapes.Shape) (compute.Buffer, any, error) {
	buf, flat, err := be.Backend.NewSharedBuffer(device, shape)
	if err != nil {
		return nil, nil, err
	}
	return be.wrap(buf), flat, nil
}
