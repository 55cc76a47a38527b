package runner_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/runner"
)

// slotEval is a fake sub-evaluator: it scores a candidate from its width
// and depth, names its slot in Result.Backend, holds each call for hold,
// and records how many calls ran on it at once and in the pool overall.
type slotEval struct {
	slot    int
	hold    time.Duration
	mine    atomic.Int32
	overlap atomic.Bool // two calls ran on this slot at once
	pool    *counter
}

type counter struct {
	cur, max atomic.Int32
	calls    atomic.Int32
}

func (c *counter) enter() {
	n := c.cur.Add(1)
	for {
		m := c.max.Load()
		if n <= m || c.max.CompareAndSwap(m, n) {
			return
		}
	}
}

func (e *slotEval) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	e.pool.calls.Add(1)
	e.pool.enter()
	defer e.pool.cur.Add(-1)
	if e.mine.Add(1) > 1 {
		e.overlap.Store(true)
	}
	defer e.mine.Add(-1)
	select {
	case <-time.After(e.hold):
	case <-ctx.Done():
		return nas.Result{}, ctx.Err()
	}
	return nas.Result{Arch: a, ValidAcc: float64(a.Width + a.Depth()), Backend: fmt.Sprintf("slot%d", e.slot)}, nil
}

func newFakePool(t *testing.T, n int, hold time.Duration) (*runner.Pool, []*slotEval, *counter) {
	t.Helper()
	c := &counter{}
	var evals []*slotEval
	p, err := runner.NewPool(n, func(slot int) (nas.Evaluator, error) {
		e := &slotEval{slot: slot, hold: hold, pool: c}
		evals = append(evals, e)
		return e, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, evals, c
}

func TestPoolBoundAndRouting(t *testing.T) {
	for _, tc := range []struct{ slots, calls int }{{1, 4}, {3, 10}, {4, 4}, {8, 3}} {
		t.Run(fmt.Sprintf("%d_slots_%d_calls", tc.slots, tc.calls), func(t *testing.T) {
			p, evals, c := newFakePool(t, tc.slots, 30*time.Millisecond)
			if p.Size() != tc.slots {
				t.Fatalf("Size = %d, want %d", p.Size(), tc.slots)
			}
			type out struct {
				a   nas.Arch
				r   nas.Result
				err error
			}
			outs := make([]out, tc.calls)
			var wg sync.WaitGroup
			for i := range tc.calls {
				outs[i].a = nas.Uniform(16+4*i, 10+i%3, nas.OpSepConv, 3)
				wg.Go(func() { outs[i].r, outs[i].err = p.Evaluate(context.Background(), outs[i].a) })
			}
			wg.Wait()
			for i, o := range outs {
				if o.err != nil {
					t.Fatalf("call %d: %v", i, o.err)
				}
				if !o.r.Arch.Equal(o.a) {
					t.Errorf("call %d: got result of %s, asked %s", i, o.r.Arch.Key(), o.a.Key())
				}
				if want := float64(o.a.Width + o.a.Depth()); o.r.ValidAcc != want {
					t.Errorf("call %d: ValidAcc %g, want %g", i, o.r.ValidAcc, want)
				}
				if !strings.HasPrefix(o.r.Backend, "slot") {
					t.Errorf("call %d: Backend %q does not name a slot", i, o.r.Backend)
				}
			}
			want := min(tc.slots, tc.calls)
			if got := int(c.max.Load()); got != want {
				t.Errorf("max concurrent calls = %d, want %d", got, want)
			}
			if got := int(c.calls.Load()); got != tc.calls {
				t.Errorf("sub-evaluator calls = %d, want %d", got, tc.calls)
			}
			for _, e := range evals {
				if e.overlap.Load() {
					t.Errorf("slot %d ran two calls at once", e.slot)
				}
			}
			for _, s := range p.Slots() {
				if s.Busy {
					t.Errorf("slot %d still busy after all calls returned", s.Index)
				}
			}
		})
	}
}

func TestPoolSlotsShowsRunning(t *testing.T) {
	p, _, _ := newFakePool(t, 2, 300*time.Millisecond)
	a := nas.Uniform(40, 12, nas.OpConv, 5)
	done := make(chan error, 1)
	go func() { _, err := p.Evaluate(context.Background(), a); done <- err }()
	deadline := time.Now().Add(2 * time.Second)
	for {
		busy := 0
		for _, s := range p.Slots() {
			if s.Busy {
				busy++
				if !s.Arch.Equal(a) || s.Since.IsZero() {
					t.Fatalf("busy slot %+v, want arch %s and a start time", s, a.Key())
				}
			}
		}
		if busy == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no slot became busy")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestPoolCancelWhileWaiting(t *testing.T) {
	p, _, c := newFakePool(t, 1, 2*time.Second)
	first := make(chan error, 1)
	ctx1, cancel1 := context.WithCancel(context.Background())
	defer cancel1()
	go func() { _, err := p.Evaluate(ctx1, nas.Uniform(16, 10, 0, 3)); first <- err }()
	for c.cur.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// The only slot is taken: a second call waits, and gives up with its context.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	start := time.Now()
	_, err := p.Evaluate(ctx2, nas.Uniform(20, 10, 0, 3))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting call: err %v, want deadline exceeded", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("waiting call returned after %v, want about 50ms", time.Since(start))
	}
	if got := c.calls.Load(); got != 1 {
		t.Errorf("sub-evaluator calls = %d, want 1 (the cancelled call must not start)", got)
	}
	// Cancelling a running call reaches its sub-evaluator, and frees the slot.
	cancel1()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("running call: err %v, want canceled", err)
	}
	if s := p.Slots()[0]; s.Busy {
		t.Errorf("slot still busy after its call returned: %+v", s)
	}
	ctx3, cancel3 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel3()
	if _, err := p.Evaluate(ctx3, nas.Uniform(24, 10, 0, 3)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third call: err %v, want deadline exceeded from the sub-evaluator", err)
	}
	if got := c.calls.Load(); got != 2 {
		t.Errorf("sub-evaluator calls = %d, want 2 (the freed slot runs the third call)", got)
	}
}

func TestPoolPanicFreesSlot(t *testing.T) {
	calls := 0
	p, err := runner.NewPool(1, func(int) (nas.Evaluator, error) {
		return nas.EvaluatorFunc(func(_ context.Context, a nas.Arch) (nas.Result, error) {
			calls++
			if calls == 1 {
				panic("boom")
			}
			return nas.Result{Arch: a, ValidAcc: 1}, nil
		}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	a := nas.Uniform(16, 10, 0, 3)
	if _, err := p.Evaluate(context.Background(), a); err == nil || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), a.Key()) {
		t.Fatalf("err %v, want the panic reported with the arch key", err)
	}
	r, err := p.Evaluate(context.Background(), a)
	if err != nil || r.ValidAcc != 1 {
		t.Fatalf("after a panic: %v, %v; want the slot usable again", r, err)
	}
}

func TestNewPoolErrors(t *testing.T) {
	ok := func(int) (nas.Evaluator, error) { return nas.EvaluatorFunc(nil), nil }
	for _, tc := range []struct {
		name    string
		n       int
		factory func(int) (nas.Evaluator, error)
		want    string
	}{
		{"zero size", 0, ok, "size 0"},
		{"nil factory", 2, nil, "nil factory"},
		{"nil evaluator", 3, func(slot int) (nas.Evaluator, error) {
			if slot == 1 {
				return nil, nil
			}
			return ok(slot)
		}, "slot 1: factory returned a nil evaluator"},
		{"factory error", 2, func(slot int) (nas.Evaluator, error) { return nil, errors.New("no device") }, "pool slot 0: no device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := runner.NewPool(tc.n, tc.factory)
			if err == nil || p != nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("NewPool: %v, %v; want error containing %q", p, err, tc.want)
			}
		})
	}
}

func ExamplePool() {
	// One sub-evaluator per device; here each slot is a fake that scores by width.
	p, err := runner.NewPool(2, func(slot int) (nas.Evaluator, error) {
		return nas.EvaluatorFunc(func(_ context.Context, a nas.Arch) (nas.Result, error) {
			return nas.Result{Arch: a, ValidAcc: 90 + float64(a.Width)/10}, nil
		}), nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	widths := []int{72, 68, 64}
	results := make([]nas.Result, len(widths))
	var wg sync.WaitGroup
	for i, w := range widths {
		wg.Go(func() { results[i], _ = p.Evaluate(context.Background(), nas.Uniform(w, 10, nas.OpSepConv, 3)) })
	}
	wg.Wait()
	for _, r := range results {
		fmt.Printf("%s %.1f\n", r.Arch.Key(), r.ValidAcc)
	}
	// Output:
	// w72-o0000000000-k3333333333 97.2
	// w68-o0000000000-k3333333333 96.8
	// w64-o0000000000-k3333333333 96.4
}

func TestPoolFirstComeFirstServed(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var order []int
	p, err := runner.NewPool(1, func(slot int) (nas.Evaluator, error) {
		return nas.EvaluatorFunc(func(_ context.Context, a nas.Arch) (nas.Result, error) {
			mu.Lock()
			order = append(order, a.Width)
			mu.Unlock()
			if a.Width < 10 {
				<-release // the first call holds the slot
			}
			return nas.Result{Arch: a}, nil
		}), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wait := func(cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatal("timed out")
			}
			time.Sleep(time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	call := func(width int) {
		wg.Go(func() {
			if _, err := p.Evaluate(context.Background(), nas.Uniform(width, 3, 0, 3)); err != nil {
				t.Error(err)
			}
		})
	}
	call(1)
	wait(func() bool { return p.Slots()[0].Busy })
	// Five more queue up, one after the other.
	for i := range 5 {
		call(20 + i)
		wait(func() bool { return p.Waiting() == i+1 })
	}
	close(release)
	wg.Wait()
	if want := []int{1, 20, 21, 22, 23, 24}; !slices.Equal(order, want) {
		t.Errorf("calls ran in order %v, want %v", order, want)
	}
	if p.Waiting() != 0 {
		t.Errorf("Waiting() = %d after all returned", p.Waiting())
	}
}

func TestPoolLowestFreeSlot(t *testing.T) {
	p, _, _ := newFakePool(t, 3, 0)
	for i := range 4 {
		r, err := p.Evaluate(context.Background(), nas.Uniform(16+i, 3, 0, 3))
		if err != nil || r.Backend != "slot0" {
			t.Errorf("call %d alone: ran on %q (%v), want slot0", i, r.Backend, err)
		}
	}
}

func TestPoolSharedEvaluatorBound(t *testing.T) {
	// One evaluator behind all slots: the pool bounds its calls in flight.
	c := &counter{}
	shared := &slotEval{hold: 20 * time.Millisecond, pool: c}
	p, err := runner.NewPool(3, func(int) (nas.Evaluator, error) { return shared, nil })
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() { p.Evaluate(context.Background(), nas.Uniform(16+i, 3, 0, 3)) })
	}
	wg.Wait()
	if got := c.max.Load(); got != 3 {
		t.Errorf("max calls in flight %d, want 3", got)
	}
}

func TestPoolCancelStress(t *testing.T) {
	// Calls whose contexts end at every moment (waiting, just handed a
	// slot, running) must leave every slot free and nobody waiting.
	p, evals, _ := newFakePool(t, 3, 2*time.Millisecond)
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%7)*time.Millisecond)
			defer cancel()
			p.Evaluate(ctx, nas.Uniform(16, 3, 0, 3))
		})
	}
	wg.Wait()
	if n := p.Waiting(); n != 0 {
		t.Errorf("Waiting() = %d", n)
	}
	for _, s := range p.Slots() {
		if s.Busy {
			t.Errorf("slot %d left busy", s.Index)
		}
	}
	for _, e := range evals {
		if e.overlap.Load() {
			t.Errorf("slot %d ran two calls at once", e.slot)
		}
	}
	var wg2 sync.WaitGroup
	for range 3 {
		wg2.Go(func() {
			if _, err := p.Evaluate(context.Background(), nas.Uniform(16, 3, 0, 3)); err != nil {
				t.Error(err)
			}
		})
	}
	wg2.Wait()
}
