package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/runner"
	"github.com/trgnas/trgnas/nas/slurm"
)

// syncWriter serialises writes from the search and the status printer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// inFlight is one candidate being evaluated, for the status line.
type inFlight struct {
	key, state, progress string
	attempts             int
	since                time.Time
}

// inFlightLister returns a function listing ev's candidates in flight, or
// nil when ev cannot tell (a plain evaluator).
func inFlightLister(ev nas.Evaluator) func() []inFlight {
	switch e := ev.(type) {
	case *slurm.Evaluator:
		return func() []inFlight {
			var out []inFlight
			for _, j := range e.Jobs() {
				state := j.State
				if j.ID != "" {
					state += " job " + j.ID
				}
				out = append(out, inFlight{key: j.Key, state: state, progress: j.Progress, attempts: j.Attempts, since: j.Submitted})
			}
			return out
		}
	case *runner.Pool:
		return func() []inFlight {
			var out []inFlight
			for _, s := range e.Slots() {
				if s.Busy {
					out = append(out, inFlight{key: s.Arch.Key(), state: fmt.Sprintf("slot %d", s.Index), since: s.Since})
				}
			}
			return out
		}
	}
	return nil
}

// statusLines renders the candidates in flight at now.
func statusLines(jobs []inFlight, now time.Time) []string {
	lines := []string{fmt.Sprintf("in flight: %d", len(jobs))}
	for _, j := range jobs {
		l := fmt.Sprintf("  %s %s", j.key, j.state)
		if j.attempts > 1 {
			l += fmt.Sprintf(" attempt %d", j.attempts)
		}
		if !j.since.IsZero() {
			l += fmt.Sprintf(" for %s", now.Sub(j.since).Round(time.Second))
		}
		if p := strings.TrimSpace(j.progress); p != "" {
			l += ": " + p
		}
		lines = append(lines, l)
	}
	return lines
}

// printStatus prints the candidates in flight every period until done is
// closed.
func printStatus(w io.Writer, list func() []inFlight, period time.Duration, done <-chan struct{}) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			jobs := list()
			if len(jobs) == 0 {
				continue
			}
			fmt.Fprintln(w, strings.Join(statusLines(jobs, now), "\n"))
		}
	}
}
