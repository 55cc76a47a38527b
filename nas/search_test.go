package nas_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/internal/nastest"
)

// The fake evaluator and search space are shared with the runner's tests.
type scoreEval = nastest.ScoreEval

var (
	newScoreEval = nastest.NewScoreEval
	smallConfig  = nastest.SmallConfig
	traceOf      = nastest.Trace
	mergeScores  = nastest.MergeScores
	baseScores   = nastest.BaseScores
)

// scores gives every network a distinct score so that the search takes a
// long path through all stages.
func longScores() map[string]float64 {
	return mergeScores(map[string]float64{
		"w16-o000-k333": 90, "w16-o0000-k3333": 90.1, "w16-o00000-k33333": 90.3,
		"w12-o00000-k33333": 90, "w8-o00000-k33333": 89.9,
		"w8-o10000-k33333": 90.5, "w8-o10000-k53333": 91,
	})
}

func TestSearchRules(t *testing.T) {
	released := nas.ReleasedScriptConfig()
	released.MinDepth, released.MaxDepth, released.MinWidth, released.MaxWidth, released.WidthStep = 3, 5, 8, 16, 4
	kernelsFirst, joint := smallConfig(), smallConfig()
	kernelsFirst.Order, joint.Order = nas.OrderKernelsOps, nas.OrderJoint
	opsScores := mergeScores(baseScores, map[string]float64{
		"w16-o100-k333": 90.10, // not > 90 + 0.10
		"w16-o010-k333": 90.11,
		"w16-o010-k533": 90.21, // not > 90.11 + 0.10
		"w16-o010-k733": 90.30,
	})
	for _, tc := range []struct {
		name   string
		cfg    nas.Config
		scores map[string]float64
		train  map[string]float64
		stage  nas.Stage
		want   []string
		ends   string // a note that must be there
		best   string
	}{
		{
			name:   "depth keep-going branch",
			cfg:    smallConfig(),
			scores: map[string]float64{"w16-o000-k333": 90, "w16-o0000-k3333": 90.1, "w16-o00000-k33333": 90.25},
			stage:  nas.StageDepth,
			want:   []string{"w16-o000-k333 +", "w16-o0000-k3333 -", "w16-o00000-k33333 +"},
			ends:   "depth stage ends: max depth 5 reached",
		},
		{
			name:   "depth stops on a drop",
			cfg:    smallConfig(),
			scores: map[string]float64{"w16-o000-k333": 90, "w16-o0000-k3333": 89.84},
			stage:  nas.StageDepth,
			want:   []string{"w16-o000-k333 +", "w16-o0000-k3333 -"},
			ends:   "depth stage ends: 89.84 < 90.00 - 0.15",
		},
		{
			name:   "target accuracy stop",
			cfg:    smallConfig(),
			scores: map[string]float64{"w16-o000-k333": 97, "w16-o0000-k3333": 98.5},
			stage:  nas.StageDepth,
			want:   []string{"w16-o000-k333 +", "w16-o0000-k3333 +"},
			ends:   "depth stage ends: target reached, 98.50 >= 99.00 - 0.50",
		},
		{
			name:   "100% training accuracy stop",
			cfg:    smallConfig(),
			scores: map[string]float64{"w16-o000-k333": 90, "w16-o0000-k3333": 91},
			train:  map[string]float64{"w16-o0000-k3333": 100},
			stage:  nas.StageDepth,
			want:   []string{"w16-o000-k333 +", "w16-o0000-k3333 +"},
			ends:   "depth stage ends: training accuracy of the current network is 100.00",
		},
		{
			name:   "width stage accepts nothing",
			cfg:    smallConfig(),
			scores: mergeScores(baseScores, map[string]float64{"w12-o000-k333": 89.49}),
			stage:  nas.StageWidth,
			want:   []string{"w12-o000-k333 -"},
			ends:   "width stage ends: width 12 rejected",
			best:   "w16-o",
		},
		{
			name:   "width accepts down to the minimum",
			cfg:    smallConfig(),
			scores: mergeScores(baseScores, map[string]float64{"w12-o000-k333": 89.5, "w8-o000-k333": 89.6}),
			stage:  nas.StageWidth,
			want:   []string{"w12-o000-k333 +", "w8-o000-k333 +"},
			ends:   "width stage ends: min width 8 reached",
			best:   "w8-o",
		},
		{
			name:   "width compares with the depth stage's accuracy",
			cfg:    smallConfig(),
			scores: mergeScores(baseScores, map[string]float64{"w12-o000-k333": 89.6, "w8-o000-k333": 89.2}),
			stage:  nas.StageWidth,
			want:   []string{"w12-o000-k333 +", "w8-o000-k333 -"},
			best:   "w12-o",
		},
		{
			name:   "operation margin, first 2L/3 layers",
			cfg:    smallConfig(),
			scores: opsScores,
			stage:  nas.StageOperation,
			want:   []string{"w16-o100-k333 -", "w16-o010-k333 +"},
			ends:   "operation stage ends: searched layers 0..1",
		},
		{
			name:   "kernel margin, best kernel restored",
			cfg:    smallConfig(),
			scores: opsScores,
			stage:  nas.StageKernel,
			want:   []string{"w16-o010-k533 -", "w16-o010-k733 +", "w16-o010-k753 -", "w16-o010-k773 -"},
			best:   "w16-o010-k733",
		},
		{
			name:   "released script: all layers, no margins",
			cfg:    released,
			scores: opsScores,
			stage:  nas.StageOperation,
			want:   []string{"w16-o100-k333 +", "w16-o110-k333 -", "w16-o101-k333 -"},
			ends:   "operation stage ends: searched layers 0..2",
		},
		{
			name:   "released script kernels",
			cfg:    released,
			scores: mergeScores(opsScores, map[string]float64{"w16-o100-k533": 90.11}),
			stage:  nas.StageKernel,
			want: []string{"w16-o100-k533 +", "w16-o100-k733 -", "w16-o100-k553 -", "w16-o100-k573 -",
				"w16-o100-k535 -", "w16-o100-k537 -"},
			best: "w16-o100-k533",
		},
		{
			name:   "kernels before operations",
			cfg:    kernelsFirst,
			scores: mergeScores(baseScores, map[string]float64{"w16-o000-k373": 91, "w16-o100-k373": 91.2}),
			stage:  "",
			want: []string{"w16-o000-k333 +", "w16-o0000-k3333 -", "w12-o000-k333 -",
				"w16-o000-k533 -", "w16-o000-k733 -", "w16-o000-k353 -", "w16-o000-k373 +",
				"w16-o100-k373 +", "w16-o110-k373 -"},
			best: "w16-o100-k373",
		},
		{
			name:   "operations and kernels together",
			cfg:    joint,
			scores: mergeScores(baseScores, map[string]float64{"w16-o000-k533": 90.5, "w16-o100-k733": 91}),
			stage:  nas.StageJoint,
			want: []string{"w16-o100-k333 -", "w16-o000-k533 +", "w16-o100-k533 -", "w16-o000-k733 -", "w16-o100-k733 +",
				"w16-o110-k733 -", "w16-o100-k753 -", "w16-o110-k753 -", "w16-o100-k773 -", "w16-o110-k773 -"},
			ends: "joint stage ends: searched layers 0..1",
			best: "w16-o100-k733",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newScoreEval(50, tc.scores)
			if tc.train != nil {
				f.Train = tc.train
			}
			s, err := nas.NewSearch(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := run(context.Background(), s, f); err != nil {
				t.Fatal(err)
			}
			if got := traceOf(s.Decisions(), tc.stage); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s stage:\n got %q\nwant %q", tc.stage, got, tc.want)
			}
			notes := strings.Join(s.Notes(), "\n")
			if tc.ends != "" && !strings.Contains(notes, tc.ends) {
				t.Errorf("notes lack %q:\n%s", tc.ends, notes)
			}
			if !strings.Contains(notes, "search finished") {
				t.Errorf("search did not finish:\n%s", notes)
			}
			if a, _, _ := s.Best(); tc.best != "" && !strings.HasPrefix(a.Key(), tc.best) {
				t.Errorf("best %s, want %s...", a.Key(), tc.best)
			}
			if f.Total() != len(s.Decisions()) {
				t.Errorf("%d evaluations for %d decisions", f.Total(), len(s.Decisions()))
			}
		})
	}
}

func TestReasonsInWords(t *testing.T) {
	f := newScoreEval(50, map[string]float64{"w16-o000-k333": 90, "w16-o0000-k3333": 90.1, "w16-o00000-k33333": 90.3, "w12-o00000-k33333": 89.9})
	s, _ := nas.NewSearch(smallConfig())
	if err := run(context.Background(), s, f); err != nil {
		t.Fatal(err)
	}
	ds := s.Decisions()
	for i, want := range []string{
		"accepted: first candidate (90.00)",
		"rejected, going deeper: 90.10 < 90.00 + 0.25 and >= 90.00 - 0.15",
		"accepted: 90.30 >= 90.00 + 0.25",
		"accepted: 89.90 >= 90.30 - 0.50",
		"rejected: 50.00 < 90.30 - 0.50",
		"rejected: 50.00 <= 89.90 + 0.10",
	} {
		if ds[i].Reason != want {
			t.Errorf("decision %d: %q, want %q", i, ds[i].Reason, want)
		}
	}
	if ds[4].Ends != "width stage ends: width 8 rejected; current depth 5 width 12 ops [0 0 0 0 0] kernels [3 3 3 3 3] (89.90)" {
		t.Errorf("ends %q", ds[4].Ends)
	}
}

func TestFailedCandidateIsRejected(t *testing.T) {
	f := newScoreEval(50, baseScores)
	f.Failed["w16-o0000-k3333"] = true
	f.Failed["w16-o100-k333"] = true
	s, _ := nas.NewSearch(smallConfig())
	if err := run(context.Background(), s, f); err != nil {
		t.Fatal(err)
	}
	ds := s.Decisions()
	if ds[1].Accepted || !strings.HasPrefix(ds[1].Reason, "failed (NaN loss), scored 0: rejected") || ds[1].Score != 0 {
		t.Errorf("failed depth candidate: %+v", ds[1])
	}
	if !ds[1].Result.Failed {
		t.Error("result not kept as failed")
	}
	if ds[3].Arch.Key() != "w16-o100-k333" || ds[3].Accepted {
		t.Errorf("failed op candidate: %+v", ds[3])
	}
	if !s.Done() {
		t.Error("search stopped")
	}
	// A failed first candidate is current with score 0; the next one beats it.
	f = newScoreEval(50, nil)
	f.Failed["w16-o000-k333"] = true
	s, _ = nas.NewSearch(smallConfig())
	if err := run(context.Background(), s, f); err != nil {
		t.Fatal(err)
	}
	if ds := s.Decisions(); !ds[0].Accepted || !ds[1].Accepted || ds[1].Reason != "accepted: 50.00 >= 0.00 + 0.25" {
		t.Errorf("after a failed first candidate: %q / %q", ds[0].Reason, ds[1].Reason)
	}
}

func TestStepWise(t *testing.T) {
	s, err := nas.NewSearch(smallConfig())
	if err != nil {
		t.Fatal(err)
	}
	a, stage, ok := s.Next()
	if !ok || stage != nas.StageDepth || a.Key() != "w16-o000-k333" {
		t.Fatalf("first candidate %v %s %v", a, stage, ok)
	}
	if _, _, ok := s.Best(); ok {
		t.Error("best before any result")
	}
	if _, err := s.Tell(nas.Result{Arch: nas.Uniform(16, 4, 0, 3), ValidAcc: 1}); err == nil {
		t.Error("Tell accepted a result for another candidate")
	}
	d, err := s.Tell(nas.Result{ValidAcc: 90, TrainAcc: 95})
	if err != nil || !d.Accepted || d.Seq != 0 || d.Arch.Key() != "w16-o000-k333" {
		t.Fatalf("decision %+v %v", d, err)
	}
	a, _, _ = s.Next()
	if a.Key() != "w16-o0000-k3333" {
		t.Fatalf("second candidate %s", a.Key())
	}
	ctx := context.Background()
	f := newScoreEval(80, nil)
	if err := runStage(ctx, s, f); err != nil {
		t.Fatal(err)
	}
	if s.Stage() != nas.StageWidth || f.Total() != 1 {
		t.Fatalf("after RunStage: stage %s, %d evaluations", s.Stage(), f.Total())
	}
	if err := runStage(ctx, s, f); err != nil {
		t.Fatal(err)
	}
	if s.Stage() != nas.StageOperation {
		t.Fatalf("stage %s", s.Stage())
	}
	if err := run(ctx, s, f); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := s.Next(); ok || !s.Done() || s.Stage() != "" {
		t.Fatal("search not done")
	}
	if _, err := s.Tell(nas.Result{}); !errors.Is(err, nas.ErrSearchDone) {
		t.Fatalf("Tell after the end: %v", err)
	}
}

func TestOverride(t *testing.T) {
	s, _ := nas.NewSearch(smallConfig())
	tell := func(v float64) nas.Decision {
		t.Helper()
		d, err := s.Tell(nas.Result{ValidAcc: v, TrainAcc: 90})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tell(90)
	if _, err := s.Override(false, "no"); err == nil {
		t.Error("the first candidate was rejected by override")
	}
	d := tell(85) // would end the depth stage
	if d.Accepted || s.Stage() != nas.StageWidth {
		t.Fatalf("rules: %+v, stage %s", d, s.Stage())
	}
	d, err := s.Override(true, "deeper is worth it")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Accepted || !d.Override || d.Reason != `accepted by override (rules said "rejected: 85.00 < 90.00 - 0.15"): deeper is worth it` {
		t.Errorf("override decision %+v", d)
	}
	a, stage, _ := s.Next()
	if stage != nas.StageDepth || a.Key() != "w16-o00000-k33333" {
		t.Errorf("after override: %s %s", stage, a.Key())
	}
	if b, _, _ := s.Best(); b.Depth() != 4 {
		t.Errorf("best %v", b)
	}
	// Overriding again replaces the override.
	if d, err = s.Override(false, ""); err != nil || d.Accepted || s.Stage() != nas.StageWidth {
		t.Errorf("second override: %+v %v, stage %s", d, err, s.Stage())
	}
}

func TestStartFromUserArch(t *testing.T) {
	s, _ := nas.NewSearch(smallConfig())
	if err := s.Start(nas.StageKernel, nas.Arch{Width: 8, Ops: []int{1, 0, 0}, Kernels: []int{5, 3, 3}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Start("bogus", nas.Uniform(8, 3, 0, 3)); err == nil {
		t.Error("unknown stage accepted")
	}
	if err := s.Start(nas.StageKernel, nas.Arch{Width: 8}); err == nil {
		t.Error("invalid arch accepted")
	}
	f := newScoreEval(50, map[string]float64{"w8-o100-k533": 10})
	if err := run(context.Background(), s, f); err != nil {
		t.Fatal(err)
	}
	ds := s.Decisions()
	if !ds[0].Start || !ds[0].Accepted || !ds[0].Override || ds[0].Stage != nas.StageKernel {
		t.Errorf("start decision %+v", ds[0])
	}
	want := []string{"w8-o100-k533 +", "w8-o100-k333 +", "w8-o100-k733 -", "w8-o100-k353 -", "w8-o100-k373 -"}
	if got := traceOf(ds, nas.StageKernel); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	if len(ds) != 5 || !s.Done() {
		t.Errorf("kernel stage was the last one: %d decisions", len(ds))
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		field string
		edit  func(*nas.Config)
	}{
		{"min_depth", func(c *nas.Config) { c.MinDepth = 0 }},
		{"max_depth", func(c *nas.Config) { c.MaxDepth = 5 }},
		{"max_depth", func(c *nas.Config) { c.MaxDepth = 1001 }},
		{"max_width", func(c *nas.Config) { c.MaxWidth = 1 << 20 }},
		{"min_width", func(c *nas.Config) { c.MinWidth = 0 }},
		{"max_width", func(c *nas.Config) { c.MaxWidth = 8 }},
		{"width_step", func(c *nas.Config) { c.WidthStep = 0 }},
		{"target_acc", func(c *nas.Config) { c.TargetAcc = 101 }},
		{"depth_tol", func(c *nas.Config) { c.DepthTol = -1 }},
		{"op_margin", func(c *nas.Config) { c.OpMargin = nanValue() }},
		{"order", func(c *nas.Config) { c.Order = "random" }},
		{"classes", func(c *nas.Config) { c.Classes = 1 }},
		{"in_channels", func(c *nas.Config) { c.InChannels = 0 }},
	} {
		c := nas.DefaultConfig()
		tc.edit(&c)
		err := c.Validate()
		if !errors.Is(err, nas.ErrInvalidConfig) || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v", tc.field, err)
		}
		if _, err := nas.NewSearch(c); err == nil {
			t.Errorf("%s: NewSearch accepted it", tc.field)
		}
	}
	if err := nas.DefaultConfig().Validate(); err != nil {
		t.Error(err)
	}
	if err := nas.ReleasedScriptConfig().Validate(); err != nil {
		t.Error(err)
	}
}

func nanValue() float64 { var z float64; return z / z }

// TestSearchMaxParams checks the parameter budget: no candidate over it is
// trained, the depth stage ends when the next depth does not fit, and the
// operation and kernel stages skip what does not fit but try what does.
func TestSearchMaxParams(t *testing.T) {
	c := nas.DefaultConfig()
	c.MinDepth, c.MaxDepth, c.MinWidth, c.MaxWidth, c.WidthStep = 3, 9, 8, 8, 4
	c.InChannels, c.Classes = 1, 10
	d6 := nas.Uniform(8, 6, nas.OpSepConv, 3)
	// Room for a 5x5 depthwise kernel on layer 0 (+256), not for 7x7 or a Conv.
	c.MaxParams = d6.Params(1, 10) + 300
	k5, conv := d6.Clone(), d6.Clone()
	k5.Kernels[0] = 5
	conv.Ops[0] = nas.OpConv
	if k5.Params(1, 10) > c.MaxParams || conv.Params(1, 10) <= c.MaxParams {
		t.Fatalf("budget %d does not separate %d and %d", c.MaxParams, k5.Params(1, 10), conv.Params(1, 10))
	}
	s, err := nas.NewSearch(c)
	if err != nil {
		t.Fatal(err)
	}
	// Every deeper network and every change gains, so only the budget limits.
	if err := run(context.Background(), s, depthGainEval{}); err != nil {
		t.Fatal(err)
	}
	tried := map[string]bool{}
	for _, d := range s.Decisions() {
		tried[d.Arch.Key()] = true
		if p := d.Arch.Params(1, 10); p > c.MaxParams {
			t.Errorf("candidate %d %s has %d params, over the budget %d", d.Seq, d.Arch.Key(), p, c.MaxParams)
		}
	}
	if !tried[k5.Key()] || tried[conv.Key()] {
		t.Errorf("tried %s: %v (fits), %s: %v (over budget)", k5.Key(), tried[k5.Key()], conv.Key(), tried[conv.Key()])
	}
	best, _, _ := s.Best()
	if best.Depth() != 6 {
		t.Errorf("found depth %d, want 6 (the deepest within budget)", best.Depth())
	}
	if !strings.Contains(strings.Join(s.Notes(), "\n"), "over the budget") {
		t.Errorf("notes do not say the budget ended the depth stage: %q", s.Notes())
	}
	c.MaxParams = -1
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "max_params") {
		t.Errorf("negative budget: %v", err)
	}
}

// depthGainEval scores a network 80 + depth + 0.5 per Conv layer + 0.5 per
// kernel above 3.
type depthGainEval struct{}

func (depthGainEval) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	v := 80 + float64(a.Depth())
	for i, op := range a.Ops {
		v += 0.5*float64(op) + 0.5*float64(a.Kernels[i]-3)/2
	}
	return nas.Result{Arch: a, ValidAcc: v, TrainAcc: 90}, nil
}
