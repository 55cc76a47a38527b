package replay_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/replay"
)

const searchLogPath = "../testdata/trgnas-cifar10-searchlog.txt"

func parsePublishedLog(t *testing.T) *replay.Log {
	t.Helper()
	lg, err := replay.ParseFile(searchLogPath)
	if err != nil {
		t.Fatal(err)
	}
	return lg
}

func TestParsePublishedLog(t *testing.T) {
	lg := parsePublishedLog(t)
	if len(lg.Candidates) != 46 {
		t.Fatalf("%d candidates, want 46", len(lg.Candidates))
	}
	stages := map[nas.Stage]int{}
	for i, c := range lg.Candidates {
		stages[c.Stage]++
		if !c.Complete {
			t.Errorf("candidate %d (line %d) incomplete", i, c.Line)
		}
		if len(c.Curve) != 20 || c.Curve[0].Epoch != 0 || c.Curve[19].Epoch != 570 {
			t.Errorf("candidate %d: curve of %d points", i, len(c.Curve))
		}
		if len(c.ClassAcc) != 10 {
			t.Errorf("candidate %d: %d class accuracies", i, len(c.ClassAcc))
		}
	}
	if want := map[nas.Stage]int{nas.StageDepth: 11, nas.StageWidth: 5, nas.StageOperation: 10, nas.StageKernel: 20}; !reflect.DeepEqual(stages, want) {
		t.Errorf("stages %v, want %v", stages, want)
	}
	// The width stage logs the loop's depth counter; the network has 16 layers.
	w := lg.Candidates[11]
	if w.LoggedDepth != 20 || w.Arch.Depth() != 16 || w.Arch.Width != 68 {
		t.Errorf("first width candidate: logged depth %d, arch %v", w.LoggedDepth, w.Arch)
	}
	c0 := lg.Candidates[0]
	if c0.TrainAcc != 99.169998 || c0.ValidAcc != 94.860001 || c0.LoggedParams != 388450 || c0.Curve[1].ValidAcc != 85.43 || c0.Curve[1].LR != 2.482529e-02 {
		t.Errorf("first candidate %+v", c0)
	}
	if c0.Seconds < 6996 || c0.Seconds > 6997 { // 11:15:46,429 -> 13:12:22,654
		t.Errorf("first candidate took %g s", c0.Seconds)
	}
	if lg.Final == nil || lg.Final.Arch.Key() != "w56-o1010000000000000-k3333333333333333" || lg.Final.ValidAcc != 96 || lg.Final.TrainAcc != 99.091995 || lg.Final.LoggedParams != 453498 {
		t.Errorf("final %+v", lg.Final)
	}
	if lg.TotalSeconds != 393744 || lg.FoundDepth != 16 || lg.FoundWidth != 56 {
		t.Errorf("total %g, found depth %d width %d", lg.TotalSeconds, lg.FoundDepth, lg.FoundWidth)
	}
	if len(lg.Classes) != 10 || lg.Classes[0] != "airplane" {
		t.Errorf("classes %q", lg.Classes)
	}
}

func TestPublishedLogParamsMatchCounter(t *testing.T) {
	lg := parsePublishedLog(t)
	for i, c := range lg.Candidates {
		if got := c.Arch.Params(3, 10); got != c.LoggedParams {
			t.Errorf("candidate %d (line %d) %v: Params %d, logged %d", i, c.Line, c.Arch, got, c.LoggedParams)
		}
	}
}

func TestLogConfigAndRecipe(t *testing.T) {
	lg := parsePublishedLog(t)
	cfg, err := lg.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nas.DefaultConfig() {
		t.Errorf("config from the log %+v, want the default %+v", cfg, nas.DefaultConfig())
	}
	r, err := lg.Recipe()
	if err != nil {
		t.Fatal(err)
	}
	if r != nas.DefaultRecipe() {
		t.Errorf("recipe from the log %+v, want the default %+v", r, nas.DefaultRecipe())
	}
}

func TestReplayPublishedLog(t *testing.T) {
	lg := parsePublishedLog(t)
	cfg, err := lg.Config()
	if err != nil {
		t.Fatal(err)
	}
	s, err := replay.Run(context.Background(), lg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ds := s.Decisions()
	if len(ds) != 46 {
		t.Fatalf("%d decisions, want 46", len(ds))
	}
	if d := lg.Divergence(ds); d != "" {
		t.Fatalf("replay diverges: %s", d)
	}
	for i, d := range ds {
		if d.Stage != lg.Candidates[i].Stage {
			t.Errorf("candidate %d: stage %s, log %s", i, d.Stage, lg.Candidates[i].Stage)
		}
		if d.Result.Params != lg.Candidates[i].LoggedParams {
			t.Errorf("candidate %d: params %d, logged %d", i, d.Result.Params, lg.Candidates[i].LoggedParams)
		}
	}
	var accepted []int
	for _, d := range ds {
		if d.Accepted {
			accepted = append(accepted, d.Seq)
		}
	}
	// depth 10, 11, 14, 16; widths 68..56; op of layers 0 and 2.
	if want := []int{0, 1, 4, 6, 11, 12, 13, 14, 16, 18}; !reflect.DeepEqual(accepted, want) {
		t.Errorf("accepted %v, want %v", accepted, want)
	}
	if got := ds[1].Reason; got != "accepted: 95.28 >= 94.86 + 0.25" {
		t.Errorf("reason of candidate 1: %q", got)
	}
	if got := ds[23].Reason; got != "rejected: 96.01 <= 96.00 + 0.10" {
		t.Errorf("reason of candidate 23 (layer 7's op): %q", got)
	}
	a, res, ok := s.Best()
	if !ok || !s.Done() {
		t.Fatal("search not finished")
	}
	if a.Depth() != 16 || a.Width != 56 || !reflect.DeepEqual(a.Ops, []int{1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) ||
		!reflect.DeepEqual(a.Kernels, nas.Uniform(56, 16, 0, 3).Kernels) {
		t.Errorf("final %v", a)
	}
	if a.Params(3, 10) != 453498 || res.ValidAcc != 96.0 || res.TrainAcc != 99.091995 {
		t.Errorf("final params %d valid %g train %g", a.Params(3, 10), res.ValidAcc, res.TrainAcc)
	}
	notes := strings.Join(s.Notes(), "\n")
	for _, want := range []string{"depth stage ends: max depth 20 reached", "width stage ends: width 52 rejected", "operation stage ends: searched layers 0..9", "kernel stage ends", "search finished"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

func TestReplayReleasedScriptStopsAtMissingCandidate(t *testing.T) {
	lg := parsePublishedLog(t)
	s, err := replay.Run(context.Background(), lg, nas.ReleasedScriptConfig())
	if !errors.Is(err, replay.ErrNotInLog) {
		t.Fatalf("err %v, want ErrNotInLog", err)
	}
	// With no margin, layer 7's op (96.01 > 96.00) is accepted; the log has no
	// candidate after it with ops[7]=1, ops[8]=1.
	if !strings.Contains(err.Error(), "w56-o1010000110000000-k3333333333333333") {
		t.Errorf("error does not name the missing candidate: %v", err)
	}
	if n := len(s.Decisions()); n != 24 {
		t.Errorf("%d decisions before the missing candidate, want 24", n)
	}
}

func TestParseLogErrors(t *testing.T) {
	for _, tc := range []struct {
		name, log, want string
	}{
		{"params", "Model Depth 2 Model Width 4\nModel Layers [0 0] Model Kernels [3 3]\nModel Parameters = abc MB\n", "x.log:3:"},
		{"layers", "Model Depth 2 Model Width 4\nModel Layers [0 2] Model Kernels [3 3]\n", "x.log:2: invalid architecture: ops[1] = 2"},
		{"orphan", "Model Layers [0 0] Model Kernels [3 3]\n", "x.log:1: Model Layers outside a candidate block"},
		{"acc", "Model Depth 2 Model Width 4\nModel Layers [0 0] Model Kernels [3 3]\nepoch 0 lr 0.1\ntrain_acc x\n", "x.log:4:"},
		{"nolayers", "Model Depth 2 Model Width 4\nModel Parameters = 0.1MB\n", "x.log:1: candidate has no \"Model Layers\" line"},
		{"namespace", "Arguments = Namespace(a=1, b)\n", "x.log:1: cannot read argument \"b\""},
		{"empty", "hello\n", "no candidate blocks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := replay.Parse(strings.NewReader(tc.log), "x.log")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLogConfigErrorNamesArgument(t *testing.T) {
	lg, err := replay.Parse(strings.NewReader("Arguments = Namespace(min_depth=x, max_depth=20)\nModel Depth 2 Model Width 4\nModel Layers [0 0] Model Kernels [3 3]\n"), "a.log")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lg.Config(); err == nil || !strings.Contains(err.Error(), "a.log:1: argument min_depth") {
		t.Fatalf("err %v", err)
	}
}
