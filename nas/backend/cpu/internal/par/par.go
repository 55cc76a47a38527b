// Package par runs the work items of the backend's kernels on a few
// goroutines.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// For calls work(worker, item) for every item in [0, items) on up to
// workers goroutines (runtime.GOMAXPROCS(0) when workers <= 0), handing
// items out in order, and waits for all. worker is in [0, workers): work
// may keep per-worker scratch indexed by it. With one worker (or one item)
// everything runs on the caller's goroutine.
//
// The caller's goroutine is worker 0; the others are helper goroutines
// kept for the purpose, which after a call wait for the next one spinning
// for a while (spin) before they sleep. Starting a goroutine on an idle
// core took 28 us (median) in a training step of a small network: as
// long as many calls' items, and a tenth of the second core's time. A
// call made while another holds the helpers (concurrent or nested calls)
// starts goroutines of its own.
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
	j := &job{work: work, items: int64(items), workers: int64(workers)}
	if !cur.CompareAndSwap(nil, j) {
		spawn(j)
		return
	}
	startHelpers(workers - 1)
	if parked.Load() > 0 {
		for range workers - 1 {
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}
	j.run(0)
	cur.Store(nil)
	// Helpers that joined may still run their last items.
	for j.active.Load() != 0 {
		runtime.Gosched()
	}
}

// spin is how long a helper looks for the next call before it sleeps.
const spin = 200 * time.Microsecond

var (
	cur     atomic.Pointer[job] // the call the helpers may join
	parked  atomic.Int64        // helpers asleep on wake
	wake    = make(chan struct{}, maxHelpers)
	started atomic.Int64 // helpers started
	startMu sync.Mutex
)

// maxHelpers caps the helper goroutines.
const maxHelpers = 256

// job is one call of For.
type job struct {
	work    func(worker, item int)
	items   int64
	workers int64
	next    atomic.Int64 // the next item to hand out
	ids     atomic.Int64 // worker numbers given to helpers: 1, 2, ...
	active  atomic.Int64 // helpers inside help
}

// run calls work for items until none are left, as worker w.
func (j *job) run(w int) {
	for {
		i := j.next.Add(1) - 1
		if i >= j.items {
			return
		}
		j.work(w, int(i))
	}
}

// help joins j as a helper, when items and worker numbers are left.
// active counts it before it takes an item, so that the caller, having
// found none left, waits for every helper that took one.
func (j *job) help() {
	j.active.Add(1)
	defer j.active.Add(-1)
	if j.next.Load() >= j.items {
		return
	}
	if id := j.ids.Add(1); id < j.workers {
		j.run(int(id))
	}
}

// startHelpers makes sure n helpers run (at most maxHelpers).
func startHelpers(n int) {
	n = min(n, maxHelpers)
	if int(started.Load()) >= n {
		return
	}
	startMu.Lock()
	defer startMu.Unlock()
	for int(started.Load()) < n {
		started.Add(1)
		go helper()
	}
}

// helper joins calls of For as they come, spinning for spin after each
// before it sleeps until a call wakes it.
func helper() {
	var last *job
	idleSince := time.Now()
	for {
		if j := cur.Load(); j != nil && j != last {
			j.help()
			last = j
			idleSince = time.Now()
			continue
		}
		if time.Since(idleSince) < spin {
			runtime.Gosched()
			continue
		}
		// Sleep, unless a call came after the last look (For reads parked
		// after publishing its job).
		parked.Add(1)
		if j := cur.Load(); j != nil && j != last {
			parked.Add(-1)
			continue
		}
		<-wake
		parked.Add(-1)
		idleSince = time.Now()
	}
}

// spawn is For's job j on goroutines of its own, j's items handed out as
// run hands them out to the helpers.
func spawn(j *job) {
	var wg sync.WaitGroup
	for w := range int(j.workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j.run(w)
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
