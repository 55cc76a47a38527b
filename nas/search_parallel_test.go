package nas_test

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/trgnas/trgnas/nas"
)

func TestLookaheadDoesNotChangeTheSearch(t *testing.T) {
	s, _ := nas.NewSearch(smallConfig())
	la := s.Lookahead(4)
	var keys []string
	for _, c := range la {
		keys = append(keys, string(c.Stage)+" "+c.Arch.Key())
	}
	want := []string{"depth w16-o000-k333", "depth w16-o0000-k3333", "depth w16-o00000-k33333", "width w12-o000-k333"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("lookahead %q, want %q", keys, want)
	}
	if a, _, _ := s.Next(); a.Key() != "w16-o000-k333" || len(s.Decisions()) != 0 {
		t.Error("Lookahead changed the search")
	}
}

// In the operation stage Lookahead predicts the next layer's candidate
// under both outcomes of the pending decision.
func TestLookaheadBothOutcomes(t *testing.T) {
	s, _ := nas.NewSearch(smallConfig())
	ev := newScoreEval(50, baseScores)
	for s.Stage() != nas.StageOperation {
		if _, err := step(context.Background(), s, ev); err != nil {
			t.Fatal(err)
		}
	}
	cur, _, _ := s.Best()
	var keys []string
	for _, c := range s.Lookahead(4) {
		keys = append(keys, c.Arch.Key())
	}
	reject, accept := cur.Clone(), cur.Clone()
	reject.Ops[1] = 1
	accept.Ops[0], accept.Ops[1] = 1, 1
	first := cur.Clone()
	first.Ops[0] = 1
	if len(keys) != 4 || keys[0] != first.Key() || !slices.Contains(keys, reject.Key()) || !slices.Contains(keys, accept.Key()) {
		t.Errorf("lookahead %q from %s: want %s first, then %s (rejected) and %s (accepted)", keys, cur.Key(), first.Key(), reject.Key(), accept.Key())
	}
}
