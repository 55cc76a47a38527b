package par_test

import (
	"sync"
	"testing"

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
