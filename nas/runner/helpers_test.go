package runner_test

import "github.com/trgnas/trgnas/nas/internal/nastest"

// The fake evaluator and search space are those of package nas's tests.
type scoreEval = nastest.ScoreEval

var (
	newScoreEval = nastest.NewScoreEval
	smallConfig  = nastest.SmallConfig
	traceOf      = nastest.Trace
	mergeScores  = nastest.MergeScores
	baseScores   = nastest.BaseScores
)
