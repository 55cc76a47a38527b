package nas_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas"
)

func TestCosineLR(t *testing.T) {
	tests := []struct {
		lr0           float64
		epoch, epochs int
		want          float64
	}{
		{0.025, 0, 1, 0},                          // a one-epoch run trains at the fully annealed rate
		{0.025, 0, 2, 0.0125},                     // cos(pi/2) = 0
		{0.025, 1, 2, 0},                          // last epoch trains at 0
		{0.1, 0, 4, 0.1 * (1 + math.Sqrt2/2) / 2}, // cos(pi/4)
		{0.1, 1, 4, 0.05},
		{0.1, 2, 4, 0.1 * (1 - math.Sqrt2/2) / 2},
		{0.1, 3, 4, 0},
		{0.025, 0, 600, 0.025 * (1 + math.Cos(math.Pi/600)) / 2},
	}
	for _, tc := range tests {
		got, err := nas.CosineLR(tc.lr0, tc.epoch, tc.epochs)
		if err != nil {
			t.Fatalf("CosineLR(%g, %d, %d): %v", tc.lr0, tc.epoch, tc.epochs, err)
		}
		if math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("CosineLR(%g, %d, %d) = %.17g, want %.17g", tc.lr0, tc.epoch, tc.epochs, got, tc.want)
		}
	}
}

func TestCosineLRErrors(t *testing.T) {
	for _, tc := range []struct{ epoch, epochs int }{{0, 0}, {-1, 3}, {3, 3}} {
		if _, err := nas.CosineLR(0.1, tc.epoch, tc.epochs); err == nil {
			t.Errorf("CosineLR(0.1, %d, %d): no error", tc.epoch, tc.epochs)
		}
	}
	if _, err := nas.CosineLR(0.1, 0, 0); !errors.Is(err, nas.ErrInvalidRecipe) {
		t.Errorf("epochs 0: error %v does not wrap ErrInvalidRecipe", err)
	}
}

func TestRecipeSchedule(t *testing.T) {
	r := nas.DefaultRecipe()
	lrs, err := r.Schedule()
	if err != nil {
		t.Fatal(err)
	}
	if len(lrs) != 600 {
		t.Fatalf("%d rates, want 600", len(lrs))
	}
	for i := 1; i < len(lrs); i++ {
		if !(lrs[i] < lrs[i-1]) {
			t.Fatalf("not strictly decreasing at epoch %d: %g then %g", i, lrs[i-1], lrs[i])
		}
	}
	if lrs[0] >= r.LearningRate || lrs[599] != 0 {
		t.Errorf("first %g (want just under %g), last %g (want 0)", lrs[0], r.LearningRate, lrs[599])
	}
	r.Epochs = 0
	if _, err := r.Schedule(); !errors.Is(err, nas.ErrInvalidRecipe) {
		t.Errorf("epochs 0: got %v, want ErrInvalidRecipe", err)
	}
}

func ExampleCosineLR() {
	for e := 0; e < 4; e++ {
		lr, _ := nas.CosineLR(0.1, e, 4)
		fmt.Printf("epoch %d lr %.5f\n", e, lr)
	}
	// Output:
	// epoch 0 lr 0.08536
	// epoch 1 lr 0.05000
	// epoch 2 lr 0.01464
	// epoch 3 lr 0.00000
}

func TestCosineStepLR(t *testing.T) {
	tests := []struct {
		lr0         float64
		step, steps int
		want        float64
	}{
		{0.1, 0, 4, 0.1}, // the first step trains at the full rate
		{0.1, 1, 4, 0.1 * (1 + math.Sqrt2/2) / 2}, // cos(pi/4)
		{0.1, 2, 4, 0.05},
		{0.1, 3, 4, 0.1 * (1 - math.Sqrt2/2) / 2},
		{0.025, 0, 1, 0.025},
	}
	for _, tc := range tests {
		got, err := nas.CosineStepLR(tc.lr0, tc.step, tc.steps)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("CosineStepLR(%g, %d, %d) = %.17g, want %.17g", tc.lr0, tc.step, tc.steps, got, tc.want)
		}
	}
	for _, tc := range []struct{ step, steps int }{{0, 0}, {-1, 3}, {3, 3}} {
		if _, err := nas.CosineStepLR(0.1, tc.step, tc.steps); err == nil {
			t.Errorf("CosineStepLR(0.1, %d, %d): no error", tc.step, tc.steps)
		}
	}
}

func TestRecipeStepLR(t *testing.T) {
	r := nas.DefaultRecipe()
	r.Epochs, r.LearningRate = 2, 0.1
	// Per epoch (the reference): every step of an epoch trains at CosineLR.
	for _, e := range []int{0, 1} {
		want, _ := nas.CosineLR(0.1, e, 2)
		for _, s := range []int{0, 2} {
			if got, err := r.StepLR(e, s, 3); err != nil || got != want {
				t.Errorf("epoch anneal: StepLR(%d, %d, 3) = %g, %v; want %g", e, s, got, err, want)
			}
		}
	}
	// Per step: step s of epoch e is global step 3e+s of 6.
	r.Anneal = nas.AnnealStep
	for _, c := range []struct{ e, s int }{{0, 0}, {0, 2}, {1, 0}, {1, 2}} {
		want, _ := nas.CosineStepLR(0.1, 3*c.e+c.s, 6)
		if got, err := r.StepLR(c.e, c.s, 3); err != nil || got != want {
			t.Errorf("step anneal: StepLR(%d, %d, 3) = %g, %v; want %g", c.e, c.s, got, err, want)
		}
	}
	if _, err := r.StepLR(0, 3, 3); err == nil {
		t.Error("step 3 of 3: no error")
	}
	r.Anneal = "linear"
	if _, err := r.StepLR(0, 0, 3); !errors.Is(err, nas.ErrInvalidRecipe) || !strings.Contains(err.Error(), "anneal") {
		t.Errorf("anneal %q: got %v, want ErrInvalidRecipe naming anneal", r.Anneal, err)
	}
}
