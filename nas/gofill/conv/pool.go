package conv

import (
	"sync"
	"sync/atomic"
)

// scratch hands out reusable buffers. The pools are the package's only
// shared values; they hold no state that changes a result.
var scratch32, scratch64 sync.Pool

func getBuf[T float32 | float64](n int) *[]T {
	var zero T
	pool := &scratch64
	if _, ok := any(zero).(float32); ok {
		pool = &scratch32
	}
	if v, ok := pool.Get().(*[]T); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	b := make([]T, n)
	return &b
}

func putBuf[T float32 | float64](b *[]T) {
	var zero T
	if _, ok := any(zero).(float32); ok {
		scratch32.Put(b)
	} else {
		scratch64.Put(b)
	}
}

// parallel calls work(worker, item) for every item in [0, items) on up to
// workers goroutines, handing items out in order.
func parallel(workers, items int, work func(worker, item int)) {
	workers = min(workers, items)
	if workers <= 1 {
		for i := range items {
			work(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= items {
					return
				}
				work(w, i)
			}
		}()
	}
	wg.Wait()
}
