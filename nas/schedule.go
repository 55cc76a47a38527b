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

// Schedule returns the learning rate of every epoch of the recipe, as
// CosineLR gives it.
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
