package conv

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stat is the time Run spent in one kernel since RecordStats: the
// benchmarks report it as GFLOP/s against the machine's FMA peak.
type Stat struct {
	// Kernel is gemm (im2col GEMM), spatial-kernel-grad, depthwise,
	// depthwise-kernel-grad, grouped-dot (see the package doc) or
	// separable (RunSeparable's pairs run in one pass).
	Kernel  string  `json:"kernel"`
	Calls   int64   `json:"calls"`
	Flops   float64 `json:"flops"`   // two per multiply-add of the convolutions
	Seconds float64 `json:"seconds"` // wall time, the input's layout copy included
}

var (
	statsOn atomic.Bool
	statsMu sync.Mutex
	stats   map[string]*Stat
)

// RecordStats starts (or, with false, stops) timing Run's kernels, from
// zero.
func RecordStats(on bool) {
	statsMu.Lock()
	stats = map[string]*Stat{}
	statsMu.Unlock()
	statsOn.Store(on)
}

// Stats returns the time recorded per kernel, by kernel name.
func Stats() []Stat {
	statsMu.Lock()
	defer statsMu.Unlock()
	out := make([]Stat, 0, len(stats))
	for _, s := range stats {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b Stat) int { return strings.Compare(a.Kernel, b.Kernel) })
	return out
}

// record adds one Run of p by kernel that took d.
func record(kernel string, p *plan, d time.Duration) { add(kernel, flopsOf(p), d) }

// flopsOf is the floating-point operations of p: two per multiply-add.
func flopsOf(p *plan) float64 {
	flops := 2.0
	for _, n := range p.out {
		flops *= float64(n)
	}
	// Each output sums over the kernel's taps and input channels: the
	// kernel's size over its output channels.
	for _, n := range p.ker {
		flops *= float64(n)
	}
	if p.co > 0 {
		flops /= float64(p.co)
	}
	return flops
}

// add adds one call of kernel, flops operations in d.
func add(kernel string, flops float64, d time.Duration) {
	statsMu.Lock()
	defer statsMu.Unlock()
	s := stats[kernel]
	if s == nil {
		s = &Stat{Kernel: kernel}
		stats[kernel] = s
	}
	s.Calls++
	s.Flops += flops
	s.Seconds += d.Seconds()
}
