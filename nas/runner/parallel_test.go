package runner_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/replay"
	"github.com/trgnas/trgnas/nas/runner"
)

// gauge wraps an evaluator with a delay and records the most calls in flight.
type gauge struct {
	ev    nas.Evaluator
	delay time.Duration
	mu    sync.Mutex
	now   int
	max   int
	calls int
}

func (g *gauge) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	g.mu.Lock()
	g.now++
	g.calls++
	if g.now > g.max {
		g.max = g.now
	}
	g.mu.Unlock()
	defer func() { g.mu.Lock(); g.now--; g.mu.Unlock() }()
	select {
	case <-time.After(g.delay):
	case <-ctx.Done():
		return nas.Result{}, ctx.Err()
	}
	return g.ev.Evaluate(ctx, a)
}

func TestRunParallelDecidesAsRun(t *testing.T) {
	lg, err := replay.ParseFile(publishedLog)
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := lg.Config()
	for _, tc := range []struct {
		name string
		cfg  nas.Config
		ev   func() nas.Evaluator
	}{
		{"published log", cfg, func() nas.Evaluator { return lg.Evaluator(3, 10) }},
		{"long path", smallConfig(), func() nas.Evaluator { return newScoreEval(50, longScores()) }},
		{"ops margin", smallConfig(), func() nas.Evaluator {
			return newScoreEval(50, mergeScores(baseScores, map[string]float64{"w16-o010-k333": 90.11, "w16-o010-k733": 90.3}))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq, _ := runner.New(tc.cfg, nil)
			seqHooks := watchHooks(t, seq)
			if err := seq.Run(context.Background(), tc.ev()); err != nil {
				t.Fatal(err)
			}
			seqHooks.check(t, "sequential", len(seq.Search().Decisions()))
			for _, n := range []int{2, 4} {
				g := &gauge{ev: tc.ev(), delay: time.Millisecond}
				par, _ := runner.New(tc.cfg, nil)
				hooks := watchHooks(t, par)
				if err := par.RunParallel(context.Background(), g, n); err != nil {
					t.Fatalf("n=%d: %v", n, err)
				}
				hooks.check(t, fmt.Sprintf("n=%d", n), g.calls)
				if !reflect.DeepEqual(traceOf(par.Search().Decisions(), ""), traceOf(seq.Search().Decisions(), "")) {
					t.Errorf("n=%d: decisions differ", n)
				}
				for i, d := range par.Search().Decisions() {
					if d.Reason != seq.Search().Decisions()[i].Reason {
						t.Errorf("n=%d, decision %d: %q vs %q", n, i, d.Reason, seq.Search().Decisions()[i].Reason)
					}
				}
				if g.max > n || g.max < 2 {
					t.Errorf("n=%d: at most %d in flight", n, g.max)
				}
			}
		})
	}
}

// hooks counts a runner's Before and After calls per candidate.
type hooks struct {
	mu            sync.Mutex
	before, after map[string]int
}

func watchHooks(t *testing.T, r *runner.Runner) *hooks {
	h := &hooks{before: map[string]int{}, after: map[string]int{}}
	r.Before = func(seq int, stage nas.Stage, a nas.Arch) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.before[a.Key()] > h.after[a.Key()] {
			t.Errorf("Before %s while it is in flight", a.Key())
		}
		h.before[a.Key()]++
	}
	r.After = func(a nas.Arch, err error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.after[a.Key()]++
		if h.after[a.Key()] > h.before[a.Key()] {
			t.Errorf("After %s without Before", a.Key())
		}
	}
	return h
}

// check: every evaluation started was announced by Before and ended by
// After (a cancelled one too), and there were evaluations of them.
func (h *hooks) check(t *testing.T, name string, evaluations int) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !reflect.DeepEqual(h.before, h.after) {
		t.Errorf("%s: Before %v, After %v", name, h.before, h.after)
	}
	n := 0
	for _, c := range h.before {
		n += c
	}
	if n != evaluations {
		t.Errorf("%s: %d Before calls for %d evaluations", name, n, evaluations)
	}
}

func TestRunParallelWithLedgerResumes(t *testing.T) {
	path := t.TempDir() + "/l.jsonl"
	ev := newScoreEval(50, longScores())
	s, l := openLedgerSearch(t, path, smallConfig())
	if err := s.RunParallel(context.Background(), &gauge{ev: ev, delay: time.Millisecond}, 3); err != nil {
		t.Fatal(err)
	}
	l.Close()
	ref := fullSearch(t)
	recs, warns, _ := ledger.Read(path)
	if decided := decisionRecords(recs); len(warns) > 0 || len(decided) != len(ref.Search().Decisions()) {
		t.Fatalf("%d decision records for %d decisions: %v", len(decided), len(ref.Search().Decisions()), warns)
	}
	s2, _ := openLedgerSearch(t, path, smallConfig())
	g := &gauge{ev: ev}
	if err := s2.RunParallel(context.Background(), g, 3); err != nil || g.calls != 0 {
		t.Errorf("resume evaluated %d: %v", g.calls, err)
	}
}

func TestRunParallelStopsOnError(t *testing.T) {
	s, _ := runner.New(smallConfig(), nil)
	ev := nas.EvaluatorFunc(func(ctx context.Context, a nas.Arch) (nas.Result, error) {
		if a.Depth() == 4 {
			return nas.Result{}, errKilled
		}
		return nas.Result{ValidAcc: 90}, nil
	})
	err := s.RunParallel(context.Background(), ev, 3)
	if err == nil || len(s.Search().Decisions()) != 1 {
		t.Fatalf("err %v after %d decisions", err, len(s.Search().Decisions()))
	}
	if a, _, _ := s.Search().Next(); a.Depth() != 4 {
		t.Errorf("search not left at the failing candidate: %v", a)
	}
}

// decisionRecords returns the records that are not speculative.
func decisionRecords(recs []nas.Record) []nas.Record {
	var out []nas.Record
	for _, r := range recs {
		if !r.Speculative {
			out = append(out, r)
		}
	}
	return out
}

// slowPath delays the candidates of path (keys) so that the predicted ones
// off it finish first.
type slowPath struct {
	ev   nas.Evaluator
	path map[string]bool
}

func (p slowPath) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	if p.path[a.Key()] {
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
			return nas.Result{}, ctx.Err()
		}
	}
	return p.ev.Evaluate(ctx, a)
}

// Results of predicted candidates go into the ledger marked speculative;
// the decision records equal the sequential search's, and a resumed search
// neither evaluates again nor decides differently.
func TestRunParallelRecordsSpeculativeResults(t *testing.T) {
	ref := fullSearch(t)
	path := map[string]bool{}
	for _, d := range ref.Search().Decisions() {
		path[d.Arch.Key()] = true
	}
	file := t.TempDir() + "/l.jsonl"
	s, l := openLedgerSearch(t, file, smallConfig())
	if err := s.RunParallel(context.Background(), slowPath{ev: newScoreEval(50, longScores()), path: path}, 4); err != nil {
		t.Fatal(err)
	}
	l.Close()
	recs, warns, err := ledger.Read(file)
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	var got, want []string
	for _, r := range decisionRecords(recs) {
		got = append(got, fmt.Sprintf("%d %s %v", r.Seq, r.Key, r.Accepted))
	}
	for _, d := range ref.Search().Decisions() {
		want = append(want, fmt.Sprintf("%d %s %v", d.Seq, d.Arch.Key(), d.Accepted))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decision records\n%q\nwant\n%q", got, want)
	}
	offPath := 0
	for _, r := range recs {
		if !r.Speculative {
			continue
		}
		if r.Seq != -1 || r.Accepted || r.Result.Arch.Key() != r.Key || r.Recipe != l.Header().Recipe {
			t.Errorf("speculative record %+v", r)
		}
		if !path[r.Key] {
			offPath++
		}
	}
	if offPath == 0 {
		t.Error("no speculative record of a candidate off the search's path")
	}
	s2, _ := openLedgerSearch(t, file, smallConfig())
	g := &gauge{ev: newScoreEval(50, longScores())}
	if err := s2.RunParallel(context.Background(), g, 4); err != nil || g.calls != 0 {
		t.Errorf("resume evaluated %d: %v", g.calls, err)
	}
	if !reflect.DeepEqual(traceOf(s2.Search().Decisions(), ""), traceOf(ref.Search().Decisions(), "")) {
		t.Error("resumed decisions differ")
	}
}

// A speculative record is a cache hit, never a decision: the resumed
// search takes its result without evaluating and records the decision.
func TestSpeculativeRecordIsACacheHit(t *testing.T) {
	file := t.TempDir() + "/l.jsonl"
	cfg := smallConfig()
	_, l := openLedgerSearch(t, file, cfg)
	ahead := nas.Uniform(16, 4, nas.OpSepConv, 3) // the second candidate
	if err := l.Append(nas.Record{Seq: -1, Key: ahead.Key(), Stage: nas.StageDepth, Speculative: true, Recipe: l.Header().Recipe,
		Result: nas.Result{Arch: ahead, ValidAcc: 90.1, TrainAcc: 95}}); err != nil {
		t.Fatal(err)
	}
	l.Close()
	s, l2 := openLedgerSearch(t, file, cfg)
	if n := len(s.Search().Decisions()); n != 0 {
		t.Fatalf("%d decisions replayed from a ledger with only a speculative record", n)
	}
	ev := newScoreEval(50, longScores())
	if err := s.Run(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	l2.Close()
	if ev.Calls[ahead.Key()] != 0 {
		t.Errorf("%s evaluated %d times despite its speculative record", ahead.Key(), ev.Calls[ahead.Key()])
	}
	recs, _, _ := ledger.Read(file)
	dec := decisionRecords(recs)
	if len(dec) < 2 || dec[1].Key != ahead.Key() || dec[1].Seq != 1 || dec[1].Result.ValidAcc != 90.1 {
		t.Errorf("decision records %+v: want the second one for %s from the speculative result", dec, ahead.Key())
	}
}

// publishedLog is the published CIFAR-10 search log (see nas/replay).
const publishedLog = "../testdata/trgnas-cifar10-searchlog.txt"
