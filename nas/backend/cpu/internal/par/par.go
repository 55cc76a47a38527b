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

// Block is how many consecutive items of work perItem each (in any unit)
// to hand out as one, so that each holds at least minWork, with still at
// least 4 blocks per worker where there are items enough. Items far
// cheaper than handing them out (the shared counter's cache line moves
// between cores on every item) otherwise leave a second core idle or
// slow the first.
func Block(items, workers, perItem, minWork int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	b := (minWork + max(perItem, 1) - 1) / max(perItem, 1)
	return max(1, min(b, items/(4*workers)))
}

// ForBlocks is For with the items handed out block at a time: work is
// called for every item in [0, items), those of one block (block
// consecutive items, the last block shorter) in order on one goroutine.
func ForBlocks(workers, items, block int, work func(worker, item int)) {
	block = max(block, 1)
	For(workers, (items+block-1)/block, func(w, b int) {
		for i := b * block; i < min(items, (b+1)*block); i++ {
			work(w, i)
		}
	})
}
