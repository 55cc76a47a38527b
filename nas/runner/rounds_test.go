package runner_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/replay"
	"github.com/trgnas/trgnas/nas/runner"
)

// rounds runs s to its end the way RunParallel does when every candidate
// takes the same time: each round evaluates, all at once, the candidates of
// s.Search().Lookahead(slots) that have no result yet; then the search decides as far
// as the results allow. It returns the number of rounds and of evaluations started; a
// predicted candidate the log lacks spends its slot for the round.
func rounds(t *testing.T, s *runner.Runner, ev nas.Evaluator, slots int) (n, evals int) {
	t.Helper()
	ctx := context.Background()
	have := map[string]bool{}
	noEval := nas.EvaluatorFunc(func(context.Context, nas.Arch) (nas.Result, error) {
		return nas.Result{}, errors.New("evaluation outside a round")
	})
	for !s.Search().Done() {
		a, _, _ := s.Search().Next()
		if have[a.Key()] {
			if _, cached, err := s.Step(ctx, noEval); err != nil || !cached {
				t.Fatalf("step %s: cached %v, %v", a.Key(), cached, err)
			}
			continue
		}
		n++
		for _, c := range s.Search().Lookahead(slots) {
			if have[c.Arch.Key()] {
				continue
			}
			evals++
			r, err := ev.Evaluate(ctx, c.Arch)
			if err != nil {
				// A predicted candidate the log lacks: its slot is spent.
				if c.Arch.Key() == a.Key() {
					t.Fatalf("round %d: %v", n, err)
				}
				continue
			}
			r.Arch = c.Arch
			s.Remember(r)
			have[c.Arch.Key()] = true
		}
	}
	return n, evals
}

// TestReplayRoundsBySlots replays the published search with 1, 2, 4 and 8
// slots and counts the rounds (the wall time when every candidate takes
// the same time): more slots never need more rounds, and the decisions are
// those of the sequential search.
func TestReplayRoundsBySlots(t *testing.T) {
	lg, err := replay.ParseFile(publishedLog)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := lg.Config()
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := runner.New(cfg, nil)
	if err := seq.Run(context.Background(), lg.Evaluator(3, 10)); err != nil {
		t.Fatal(err)
	}
	want := traceOf(seq.Search().Decisions(), "")
	prev := 0
	t.Logf("published log, %d candidates: slots, rounds, evaluations started (off-path ones included), speed-up", len(want))
	for _, slots := range []int{1, 2, 4, 8} {
		s, _ := runner.New(cfg, nil)
		n, evals := rounds(t, s, nas.EvaluatorFunc(func(ctx context.Context, a nas.Arch) (nas.Result, error) {
			// Each log candidate serves every request for its arch: a
			// speculative request must not use up the one the search needs.
			return lg.Evaluator(3, 10).Evaluate(ctx, a)
		}), slots)
		t.Logf("%d slots: %d rounds, %d evaluations, %.2fx", slots, n, evals, float64(len(want))/float64(n))
		if got := traceOf(s.Search().Decisions(), ""); !reflect.DeepEqual(got, want) {
			t.Errorf("%d slots: decisions differ from the sequential search", slots)
		}
		if slots == 1 && n != len(want) {
			t.Errorf("1 slot: %d rounds, want one per candidate (%d)", n, len(want))
		}
		if prev > 0 && n > prev {
			t.Errorf("%d slots: %d rounds, more than %d with fewer slots", slots, n, prev)
		}
		prev = n
	}
}
