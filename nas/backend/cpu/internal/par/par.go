// Package par runs the work items of the backend's kernels on a few
// goroutines.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// For calls work(worker, item) for every item in [0, items) on up to
// workers goroutines (runtime.GOMAXPROCS(0) when workers <= 0), handing
// items out in order, and waits for all. worker is in [0, workers): work
// may keep per-worker scratch indexed by it. With one worker (or one item)
// everything runs on the caller's goroutine.
func For(workers, items int, work func(worker, item int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
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
