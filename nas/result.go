package nas

import (
	"context"
	"time"
)

// Epoch is one point of a candidate's training curve. Accuracies are
// percentages; Seconds is the epoch's wall time (evaluation included); LR
// is the learning rate of the epoch's first step (of every step with the
// reference per-epoch schedule).
type Epoch struct {
	Epoch     int     `json:"epoch"`
	LR        float64 `json:"lr"`
	TrainLoss float64 `json:"train_loss"`
	TrainAcc  float64 `json:"train_acc"`
	ValidLoss float64 `json:"valid_loss"`
	ValidAcc  float64 `json:"valid_acc"`
	Seconds   float64 `json:"seconds"`
}

// Result is what training one candidate produced. Accuracies are
// percentages. TrainAcc and ValidAcc are the best over the epochs (the
// published log's "Best Training/Validation Accuracy"); ValidAcc is the
// candidate's score.
type Result struct {
	Arch           Arch      `json:"arch"`
	TrainAcc       float64   `json:"train_acc"`
	ValidAcc       float64   `json:"valid_acc"`
	FinalTrainAcc  float64   `json:"final_train_acc"`
	FinalValidAcc  float64   `json:"final_valid_acc"`
	Curve          []Epoch   `json:"curve,omitempty"`
	Params         int       `json:"params"`
	MACs           int64     `json:"macs"`
	WallSeconds    float64   `json:"wall_seconds"`    // training and evaluation, compile time excluded
	CompileSeconds float64   `json:"compile_seconds"` // graph building and compilation
	ImagesPerSec   float64   `json:"images_per_sec,omitempty"`
	Backend        string    `json:"backend,omitempty"`
	ClassAcc       []float64 `json:"class_acc,omitempty"` // per-class accuracy, on request
	TestAcc        float64   `json:"test_acc,omitempty"`  // set only by the final step (TrainConfig.Test)
	TestLoss       float64   `json:"test_loss,omitempty"` // mean cross-entropy on the test set, with TestAcc
	// With Recipe.TestFlip, the last epoch's validation accuracy and the
	// test accuracy from the image alone, for comparison.
	FinalValidAccNoFlip float64   `json:"final_valid_acc_noflip,omitempty"`
	TestAccNoFlip       float64   `json:"test_acc_noflip,omitempty"`
	Failed              bool      `json:"failed,omitempty"` // diverged (NaN/Inf loss) or errored
	Error               string    `json:"error,omitempty"`  // why it failed
	Finished            time.Time `json:"finished,omitempty"`
}

// Evaluator trains (or looks up) one candidate and returns its result. A
// candidate that diverges is returned as a Result with Failed set and a nil
// error; an error means no result could be had (cancelled context, missing
// data, a replay log without that candidate).
//
// Implementations must allow several Evaluate calls in flight at once.
type Evaluator interface {
	Evaluate(ctx context.Context, a Arch) (Result, error)
}

// EvaluatorFunc adapts a function to Evaluator.
type EvaluatorFunc func(ctx context.Context, a Arch) (Result, error)

// Evaluate calls f.
func (f EvaluatorFunc) Evaluate(ctx context.Context, a Arch) (Result, error) { return f(ctx, a) }
