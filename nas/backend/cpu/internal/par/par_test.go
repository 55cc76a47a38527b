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
