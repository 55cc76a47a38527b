package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/trgnas/trgnas/nas"
)

// Pool is a nas.Evaluator that runs up to Size Evaluate calls at once, each on
// its own sub-evaluator (a slot): one per GPU of a machine, for example. A
// call waits for a free slot, runs on it, and frees it when it returns, so
// a search with several candidates in flight keeps every slot busy without
// a cluster scheduler.
//
// Waiting calls get slots in the order they arrived (first come, first
// served), so a search that starts the candidate it needs first before
// speculative ones has it trained first. A free slot is the lowest-numbered
// idle one.
//
// A Pool is safe for concurrent use. A sub-evaluator only ever runs one
// call at a time. The same evaluator may be given for several slots: the
// pool then just bounds how many calls it has in flight (a Slurm evaluator
// limited to N jobs, say).
type Pool struct {
	evals []nas.Evaluator

	mu      sync.Mutex
	slots   []Slot
	free    []int    // idle slots
	waiting []waiter // calls waiting for a slot, oldest first
}

// waiter is a call waiting for a slot: release sends it one, already
// marked busy with arch.
type waiter struct {
	ch   chan int
	arch nas.Arch
}

// Slot describes one slot of a Pool, as seen by Slots.
type Slot struct {
	Index int       // position, 0-based, as passed to the factory
	Busy  bool      // a call is running on it
	Arch  nas.Arch  // the candidate it runs, when Busy
	Since time.Time // when the current call started, when Busy
}

// ErrPool is wrapped by the errors NewPool returns.
var ErrPool = errors.New("invalid pool")

// NewPool makes a pool of n slots; factory(slot) returns slot's evaluator,
// called once per slot, in order, for slot = 0 .. n-1. A factory error
// or a nil evaluator stops the construction and is returned.
func NewPool(n int, factory func(slot int) (nas.Evaluator, error)) (*Pool, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: size %d, must be >= 1", ErrPool, n)
	}
	if factory == nil {
		return nil, fmt.Errorf("%w: nil factory", ErrPool)
	}
	p := &Pool{evals: make([]nas.Evaluator, n), slots: make([]Slot, n), free: make([]int, n)}
	for i := range n {
		e, err := factory(i)
		if err != nil {
			return nil, fmt.Errorf("pool slot %d: %w", i, err)
		}
		if e == nil {
			return nil, fmt.Errorf("%w: slot %d: factory returned a nil evaluator", ErrPool, i)
		}
		p.evals[i] = e
		p.slots[i].Index = i
		p.free[i] = i
	}
	return p, nil
}

// Size is the number of slots.
func (p *Pool) Size() int { return len(p.evals) }

// Slots returns a snapshot of the slots, in index order.
func (p *Pool) Slots() []Slot {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Slot, len(p.slots))
	for i, s := range p.slots {
		s.Arch = s.Arch.Clone()
		out[i] = s
	}
	return out
}

// Waiting is the number of calls waiting for a slot.
func (p *Pool) Waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiting)
}

// Evaluate waits for a free slot and evaluates a on it. If ctx ends while
// waiting, it returns ctx.Err() without starting anything; once started,
// cancellation is up to the slot's evaluator. A panic of a sub-evaluator is
// returned as an error and the slot stays usable.
func (p *Pool) Evaluate(ctx context.Context, a nas.Arch) (res nas.Result, err error) {
	slot, err := p.acquire(ctx, a)
	if err != nil {
		return nas.Result{}, err
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = nas.Result{}, fmt.Errorf("pool slot %d: evaluating %s: panic: %v", slot, a.Key(), r)
		}
		p.release(slot)
	}()
	return p.evals[slot].Evaluate(ctx, a)
}

// acquire takes a free slot for a, waiting in line for one if needed.
func (p *Pool) acquire(ctx context.Context, a nas.Arch) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p.mu.Lock()
	if len(p.free) > 0 && len(p.waiting) == 0 {
		i := slices.Index(p.free, slices.Min(p.free))
		slot := p.free[i]
		p.free = slices.Delete(p.free, i, i+1)
		p.take(slot, a)
		p.mu.Unlock()
		return slot, nil
	}
	w := waiter{ch: make(chan int, 1), arch: a}
	p.waiting = append(p.waiting, w)
	p.mu.Unlock()
	select {
	case slot := <-w.ch:
		return slot, nil
	case <-ctx.Done():
		p.mu.Lock()
		if i := slices.IndexFunc(p.waiting, func(x waiter) bool { return x.ch == w.ch }); i >= 0 {
			p.waiting = slices.Delete(p.waiting, i, i+1)
			p.mu.Unlock()
			return 0, ctx.Err()
		}
		p.mu.Unlock()
		// A slot was handed over just as ctx ended: pass it on.
		p.release(<-w.ch)
		return 0, ctx.Err()
	}
}

// take marks slot busy with a; p.mu is held.
func (p *Pool) take(slot int, a nas.Arch) {
	p.slots[slot] = Slot{Index: slot, Busy: true, Arch: a.Clone(), Since: time.Now()}
}

// release hands slot to the oldest waiting call, or makes it free.
func (p *Pool) release(slot int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.slots[slot] = Slot{Index: slot}
	if len(p.waiting) > 0 {
		w := p.waiting[0]
		p.waiting = p.waiting[1:]
		p.take(slot, w.arch)
		w.ch <- slot
		return
	}
	p.free = append(p.free, slot)
}
