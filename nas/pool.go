package nas

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Pool is an Evaluator that runs up to Size Evaluate calls at once, each on
// its own sub-evaluator (a slot): one per GPU of a machine, for example. A
// call waits for a free slot, runs on it, and frees it when it returns, so
// a search with several candidates in flight keeps every slot busy without
// a cluster scheduler.
//
// A Pool is safe for concurrent use. A sub-evaluator only ever runs one
// call at a time.
type Pool struct {
	evals []Evaluator
	free  chan int // indices of idle slots

	mu    sync.Mutex
	slots []Slot
}

// Slot describes one slot of a Pool, as seen by Slots.
type Slot struct {
	Index int       // position, 0-based, as passed to the factory
	Busy  bool      // a call is running on it
	Arch  Arch      // the candidate it runs, when Busy
	Since time.Time // when the current call started, when Busy
}

// ErrPool is wrapped by the errors NewPool returns.
var ErrPool = errors.New("invalid pool")

// NewPool makes a pool of n slots; factory(slot) returns slot's evaluator,
// called once per slot, in order, for slot = 0 .. n-1. A factory error
// or a nil evaluator stops the construction and is returned.
func NewPool(n int, factory func(slot int) (Evaluator, error)) (*Pool, error) {
	if n < 1 {
		return nil, fmt.Errorf("%w: size %d, must be >= 1", ErrPool, n)
	}
	if factory == nil {
		return nil, fmt.Errorf("%w: nil factory", ErrPool)
	}
	p := &Pool{evals: make([]Evaluator, n), free: make(chan int, n), slots: make([]Slot, n)}
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
		p.free <- i
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

// Evaluate waits for a free slot and evaluates a on it. If ctx ends while
// waiting, it returns ctx.Err() without starting anything; once started,
// cancellation is up to the slot's evaluator. A panic of a sub-evaluator is
// returned as an error and the slot stays usable.
func (p *Pool) Evaluate(ctx context.Context, a Arch) (res Result, err error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	var slot int
	select {
	case slot = <-p.free:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	p.mu.Lock()
	p.slots[slot] = Slot{Index: slot, Busy: true, Arch: a.Clone(), Since: time.Now()}
	p.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			res, err = Result{}, fmt.Errorf("pool slot %d: evaluating %s: panic: %v", slot, a.Key(), r)
		}
		p.mu.Lock()
		p.slots[slot] = Slot{Index: slot}
		p.mu.Unlock()
		p.free <- slot
	}()
	return p.evals[slot].Evaluate(ctx, a)
}
