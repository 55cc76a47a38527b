package par_test

import (
	"sync"
	"testing"
	"time"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/par"
)

func TestFor(t *testing.T) {
	for _, tc := range []struct{ workers, items int }{{0, 10}, {1, 5}, {2, 0}, {3, 100}, {8, 3}} {
		var mu sync.Mutex
		seen := make([]int, tc.items)
		maxWorker := -1
		par.For(tc.workers, tc.items, func(w, i int) {
			mu.Lock()
			defer mu.Unlock()
			seen[i]++
			maxWorker = max(maxWorker, w)
		})
		for i, n := range seen {
			if n != 1 {
				t.Errorf("workers %d items %d: item %d ran %d times", tc.workers, tc.items, i, n)
			}
		}
		if tc.workers > 0 && maxWorker >= tc.workers {
			t.Errorf("workers %d: worker index %d", tc.workers, maxWorker)
		}
	}
}

// TestForBlocks: every item runs once, a block's items in order on one
// worker; Block groups cheap items and keeps 4 blocks per worker.
func TestForBlocks(t *testing.T) {
	for _, tc := range []struct{ workers, items, block int }{{2, 10, 3}, {3, 100, 7}, {2, 5, 10}, {2, 0, 4}, {1, 9, 2}} {
		var mu sync.Mutex
		seen := make([]int, tc.items)
		last := map[int]int{} // block -> last item seen
		par.ForBlocks(tc.workers, tc.items, tc.block, func(w, i int) {
			mu.Lock()
			defer mu.Unlock()
			seen[i]++
			b := i / tc.block
			if l, ok := last[b]; ok && l != i-1 {
				t.Errorf("%+v: block %d ran item %d after %d", tc, b, i, l)
			}
			last[b] = i
		})
		for i, n := range seen {
			if n != 1 {
				t.Errorf("%+v: item %d ran %d times", tc, i, n)
			}
		}
	}
	for _, tc := range []struct{ items, workers, perItem, minWork, want int }{
		{2048, 2, 4608, 1 << 17, 29}, {2048, 2, 1 << 20, 1 << 17, 1}, {20, 2, 10, 1 << 17, 2}, {3, 2, 1, 100, 1},
	} {
		if got := par.Block(tc.items, tc.workers, tc.perItem, tc.minWork); got != tc.want {
			t.Errorf("Block(%d, %d, %d, %d) = %d, want %d", tc.items, tc.workers, tc.perItem, tc.minWork, got, tc.want)
		}
	}
}

// TestForConcurrent: calls from several goroutines at once, and calls
// nested in a call's items (which find the helpers taken), each run every
// item once with worker numbers below their own workers.
func TestForConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range 50 {
				workers, items := 2+g%3, 1+(r*7+g)%40
				var mu sync.Mutex
				seen := make([]int, items)
				par.For(workers, items, func(w, i int) {
					if w < 0 || w >= workers {
						t.Errorf("worker %d of %d", w, workers)
					}
					inner := make([]int, 5)
					par.For(2, 5, func(_, k int) {
						mu.Lock()
						inner[k]++
						mu.Unlock()
					})
					mu.Lock()
					defer mu.Unlock()
					seen[i]++
					for k, n := range inner {
						if n != 1 {
							t.Errorf("nested item %d ran %d times", k, n)
						}
					}
				})
				for i, n := range seen {
					if n != 1 {
						t.Errorf("goroutine %d round %d: item %d of %d ran %d times", g, r, i, items, n)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestHelpersSleep: with no calls for a while, every helper goroutine
// sleeps instead of spinning on.
func TestHelpersSleep(t *testing.T) {
	par.For(2, 100, func(int, int) {})
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, asleep := par.Helpers()
		if n > 0 && asleep == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d helpers asleep after 5 s without calls", asleep, n)
		}
		time.Sleep(time.Millisecond)
	}
}
