package nas

import (
	"fmt"
	"math"
)

// CosineLR is the learning rate that epoch (0-based) of epochs trains at
// under the recipe's cosine annealing from lr0 to 0:
//
//	lr0 * (1 + cos(pi * (epoch+1) / epochs)) / 2
//
// The reference steps PyTorch's CosineAnnealingLR (T_max = epochs, eta_min
// = 0) at the start of each epoch, before training it, so epoch 0 already
// trains at the once-annealed rate and the last epoch trains at 0.
func CosineLR(lr0 float64, epoch, epochs int) (float64, error) {
	if epochs < 1 {
		return 0, fmt.Errorf("%w: epochs %d, must be >= 1", ErrInvalidRecipe, epochs)
	}
	if epoch < 0 || epoch >= epochs {
		return 0, fmt.Errorf("cosine schedule: epoch %d out of range [0, %d)", epoch, epochs)
	}
	return lr0 * (1 + math.Cos(math.Pi*float64(epoch+1)/float64(epochs))) / 2, nil
}

// Schedule returns the learning rate of every epoch of the recipe under the
// per-epoch schedule (AnnealEpoch), as CosineLR gives it. Under AnnealStep
// the rate changes within an epoch: see StepLR.
func (r Recipe) Schedule() ([]float64, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	lrs := make([]float64, r.Epochs)
	for e := range lrs {
		lrs[e], _ = CosineLR(r.LearningRate, e, r.Epochs)
	}
	return lrs, nil
}

// CosineStepLR is the learning rate of training step (0-based) of steps
// under cosine annealing from lr0 to 0 moved at every step (Recipe.Anneal
// = AnnealStep):
//
//	lr0 * (1 + cos(pi * step / steps)) / 2
//
// The first step trains at lr0 and the rate approaches 0 at the last one.
// On a small budget (a few epochs on a CPU) this trains about twice as much
// as the reference's per-epoch schedule, whose last epoch is spent at 0.
func CosineStepLR(lr0 float64, step, steps int) (float64, error) {
	if steps < 1 {
		return 0, fmt.Errorf("cosine schedule: steps %d, must be >= 1", steps)
	}
	if step < 0 || step >= steps {
		return 0, fmt.Errorf("cosine schedule: step %d out of range [0, %d)", step, steps)
	}
	return lr0 * (1 + math.Cos(math.Pi*float64(step)/float64(steps))) / 2, nil
}

// StepLR returns the learning rate of a training step of the recipe: step
// (0-based) of stepsPerEpoch in epoch (0-based). With AnnealEpoch it is the
// epoch's rate (CosineLR); with AnnealStep, CosineStepLR over all
// epochs*stepsPerEpoch steps.
func (r Recipe) StepLR(epoch, step, stepsPerEpoch int) (float64, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	if r.Anneal != AnnealStep {
		return CosineLR(r.LearningRate, epoch, r.Epochs)
	}
	if step < 0 || step >= stepsPerEpoch {
		return 0, fmt.Errorf("cosine schedule: step %d out of range [0, %d)", step, stepsPerEpoch)
	}
	return CosineStepLR(r.LearningRate, epoch*stepsPerEpoch+step, r.Epochs*stepsPerEpoch)
}
