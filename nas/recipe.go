package nas

import (
	"errors"
	"fmt"
)

// Recipe is how one candidate is trained. Defaults (DefaultRecipe) are the
// published run's; Epochs and TrainLimit are what users shrink on a CPU.
type Recipe struct {
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch_size"`
	LearningRate float64 `json:"learning_rate"` // initial, cosine-annealed to 0 over Epochs
	Momentum     float64 `json:"momentum"`
	WeightDecay  float64 `json:"weight_decay"` // coupled (added to the gradient after clipping)
	GradClip     float64 `json:"grad_clip"`    // global norm; 0 disables
	Cutout       bool    `json:"cutout"`
	CutoutSize   int     `json:"cutout_size"`
	Flip         bool    `json:"flip"` // random horizontal flip (off for digits)
	CropPad      int     `json:"crop_pad"`
	TrainLimit   int     `json:"train_limit,omitempty"` // use at most this many training images; 0 = all
	ValidLimit   int     `json:"valid_limit,omitempty"` // evaluate on at most this many validation images; 0 = all
	Seed         int64   `json:"seed"`
	// Anneal is when the cosine schedule moves: AnnealEpoch ("", the
	// published run's) once at the start of each epoch, or AnnealStep at
	// every step. See CosineLR and CosineStepLR.
	Anneal string `json:"anneal,omitempty"`
	// TestFlip scores each validation and test image by the mean of the
	// logits of the image and of its mirror image (test-time flip), for
	// data whose classes look alike mirrored, as Flip assumes.
	TestFlip bool `json:"test_flip,omitempty"`
}

// Values of Recipe.Anneal.
const (
	AnnealEpoch = "epoch" // the reference: stepped at the start of each epoch ("" means this too)
	AnnealStep  = "step"  // annealed at every training step, over all steps of all epochs
)

// DefaultRecipe returns the published run's training recipe.
func DefaultRecipe() Recipe {
	return Recipe{
		Epochs: 600, BatchSize: 64, LearningRate: 0.025, Momentum: 0.9,
		WeightDecay: 3e-4, GradClip: 5, Cutout: true, CutoutSize: 16, Flip: true, CropPad: 4,
	}
}

// ErrInvalidRecipe is wrapped by every error of Recipe.Validate.
var ErrInvalidRecipe = errors.New("invalid recipe")

// Validate rejects settings that cannot train.
func (r Recipe) Validate() error {
	switch {
	case r.Epochs < 1:
		return fmt.Errorf("%w: epochs %d, must be >= 1", ErrInvalidRecipe, r.Epochs)
	case r.BatchSize < 1:
		return fmt.Errorf("%w: batch_size %d, must be >= 1", ErrInvalidRecipe, r.BatchSize)
	case !(r.LearningRate > 0):
		return fmt.Errorf("%w: learning_rate %g, must be > 0", ErrInvalidRecipe, r.LearningRate)
	case r.Momentum < 0 || r.Momentum >= 1:
		return fmt.Errorf("%w: momentum %g, must be in [0, 1)", ErrInvalidRecipe, r.Momentum)
	case r.WeightDecay < 0:
		return fmt.Errorf("%w: weight_decay %g, must be >= 0", ErrInvalidRecipe, r.WeightDecay)
	case r.GradClip < 0:
		return fmt.Errorf("%w: grad_clip %g, must be >= 0", ErrInvalidRecipe, r.GradClip)
	case r.Cutout && r.CutoutSize < 1:
		return fmt.Errorf("%w: cutout_size %d, must be >= 1 when cutout is on", ErrInvalidRecipe, r.CutoutSize)
	case r.CropPad < 0:
		return fmt.Errorf("%w: crop_pad %d, must be >= 0", ErrInvalidRecipe, r.CropPad)
	case r.Anneal != "" && r.Anneal != AnnealEpoch && r.Anneal != AnnealStep:
		return fmt.Errorf("%w: anneal %q, must be %q or %q", ErrInvalidRecipe, r.Anneal, AnnealEpoch, AnnealStep)
	case r.TrainLimit < 0 || r.ValidLimit < 0:
		return fmt.Errorf("%w: train_limit/valid_limit must be >= 0", ErrInvalidRecipe)
	}
	return nil
}

// Warnings lists settings that are valid but probably not what the user
// wants, in words. With the reference schedule (see CosineLR) the last
// epoch always trains at learning rate 0, so a one-epoch recipe trains
// nothing: only BatchNorm's running statistics move.
func (r Recipe) Warnings() []string {
	var w []string
	if r.Epochs == 1 && r.Anneal != AnnealStep {
		w = append(w, "epochs 1: the cosine schedule is stepped at the start of each epoch (as the published run did), so the only epoch trains at learning rate 0 and the network stays at its initialisation; use at least 2 epochs, or anneal per step")
	}
	return w
}
