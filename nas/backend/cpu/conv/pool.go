package conv

import (
	"math/bits"
	"sync"
)

// scratch hands out reusable buffers, one pool per power-of-two capacity
// and element type: a request is served by a buffer of its size class or
// a new one, never by dropping a pooled buffer that is too small (fresh
// memory costs a page fault per page on first touch, which made the
// zero-padded input copies of whole layers several times slower). The
// untouched tail of a buffer costs no resident memory. The pools are the
// package's only shared values; they hold no state that changes a result.
var scratch32, scratch64, scratchInt [64]sync.Pool

func poolOf[T float32 | float64 | int](class int) *sync.Pool {
	var zero T
	switch any(zero).(type) {
	case float32:
		return &scratch32[class]
	case float64:
		return &scratch64[class]
	}
	return &scratchInt[class]
}

// sizeClass is the pool of buffers with capacity 1<<sizeClass(n) >= n.
func sizeClass(n int) int { return bits.Len(uint(max(n, 1) - 1)) }

// getBuf returns a buffer of n values (not zeroed) from the pool.
func getBuf[T float32 | float64 | int](n int) *[]T {
	c := sizeClass(n)
	if v, ok := poolOf[T](c).Get().(*[]T); ok {
		*v = (*v)[:n]
		return v
	}
	b := make([]T, n, 1<<c)
	return &b
}

// putBuf returns b to the pool of its capacity (nil: nothing).
func putBuf[T float32 | float64 | int](b *[]T) {
	if b == nil {
		return
	}
	c := sizeClass(cap(*b))
	if cap(*b) != 1<<c {
		return // not from getBuf
	}
	poolOf[T](c).Put(b)
}
