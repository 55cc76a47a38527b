package conv

import (
	"sync"
)

// scratch hands out reusable buffers. The pools are the package's only
// shared values; they hold no state that changes a result.
var scratch32, scratch64, scratchInt sync.Pool

func poolOf[T float32 | float64 | int]() *sync.Pool {
	var zero T
	switch any(zero).(type) {
	case float32:
		return &scratch32
	case float64:
		return &scratch64
	}
	return &scratchInt
}

// getBuf returns a buffer of n values (not zeroed) from the pool.
func getBuf[T float32 | float64 | int](n int) *[]T {
	pool := poolOf[T]()
	if v, ok := pool.Get().(*[]T); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	b := make([]T, n)
	return &b
}

// putBuf returns b to the pool.
func putBuf[T float32 | float64 | int](b *[]T) { poolOf[T]().Put(b) }
