package nas_test

import (
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas"
)

func TestRecipeWarnings(t *testing.T) {
	r := nas.DefaultRecipe()
	if w := r.Warnings(); len(w) != 0 {
		t.Fatalf("published recipe warns: %q", w)
	}
	r.Epochs = 1
	w := r.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "learning rate 0") {
		t.Fatalf("one-epoch recipe: %q", w)
	}
	// The warning states what the schedule does: check it against the schedule.
	lrs, err := r.Schedule()
	if err != nil || len(lrs) != 1 || lrs[0] != 0 {
		t.Fatalf("one-epoch schedule %v %v, want [0]", lrs, err)
	}
}
