package nas_test

import (
	"context"

	"github.com/trgnas/trgnas/nas"
)

// The rules' tests drive the search by hand, as a runner (nas/runner) does
// without its journal and cache.

// step evaluates the pending candidate and tells its result.
func step(ctx context.Context, s *nas.Search, ev nas.Evaluator) (nas.Decision, error) {
	a, _, ok := s.Next()
	if !ok {
		return nas.Decision{}, nas.ErrSearchDone
	}
	res, err := ev.Evaluate(ctx, a)
	if err != nil {
		return nas.Decision{}, err
	}
	if res.Params == 0 {
		res.Params = a.Params(s.Config().InChannels, s.Config().Classes)
	}
	return s.Tell(res)
}

// run steps s to its end.
func run(ctx context.Context, s *nas.Search, ev nas.Evaluator) error {
	for !s.Done() {
		if _, err := step(ctx, s, ev); err != nil {
			return err
		}
	}
	return nil
}

// runStage steps s to the end of the stage in progress.
func runStage(ctx context.Context, s *nas.Search, ev nas.Evaluator) error {
	for stage := s.Stage(); !s.Done() && s.Stage() == stage; {
		if _, err := step(ctx, s, ev); err != nil {
			return err
		}
	}
	return nil
}
