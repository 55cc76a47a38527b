package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
)

func TestBenchNets(t *testing.T) {
	want := map[string]struct {
		key    string
		params int
	}{
		"sep16": {"w16-o0000000000-k3333333333", 23610},
		"mix16": {"w16-o0101010101-k3573573573", 216058},             // toolchain.md's measured network
		"final": {"w56-o1010000000000000-k3333333333333333", 453498}, // trgnas.md's published final network
	}
	nets := benchNets()
	if len(nets) != len(want) {
		t.Fatalf("%d networks, want %d", len(nets), len(want))
	}
	for _, n := range nets {
		w, ok := want[n.Name]
		if !ok {
			t.Errorf("unexpected network %s", n.Name)
			continue
		}
		if n.Arch.Key() != w.key || n.Arch.Params(3, 10) != w.params {
			t.Errorf("%s: %s with %d params, want %s with %d", n.Name, n.Arch.Key(), n.Arch.Params(3, 10), w.key, w.params)
		}
		if err := n.Arch.Validate(); err != nil {
			t.Errorf("%s: %v", n.Name, err)
		}
	}
}

// TestBenchNetsByKey: an architecture key in --nets is measured as it
// names itself, beside the fixed networks.
func TestBenchNetsByKey(t *testing.T) {
	nets, err := selectNets("final, w8-o01-k35")
	if err != nil {
		t.Fatal(err)
	}
	if len(nets) != 2 || nets[0].Name != "final" || nets[1].Name != "w8-o01-k35" || nets[1].Arch.Key() != "w8-o01-k35" {
		t.Errorf("got %+v", nets)
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--steps", "0"}, "--steps 0"},
		{[]string{"--warmup", "0"}, "--warmup 0"},
		{[]string{"--batch", "-1"}, "--batch -1"},
		{[]string{"--repeat", "0"}, "--repeat 0"},
		{[]string{"--nets", "sep16,nope"}, `unknown network "nope"`},
		{[]string{"--nets", "sep16,final", "--child"}, "exactly one network"},
		{[]string{"--nets", "w8-o01-k35", "--compare"}, "knows only sep16, mix16 and final"},
		{[]string{"extra"}, "unexpected arguments"},
	} {
		var out, errb bytes.Buffer
		code := run(append([]string{"bench"}, tc.args...), &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to contain %q", tc.args, code, errb.String(), tc.want)
		}
	}
}

// TestBenchChild measures a real (tiny) run of the trainer in-process.
func TestBenchChild(t *testing.T) {
	var out, errb bytes.Buffer
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	args := []string{"bench", "--child", "--nets", "sep16", "--batch", "4", "--warmup", "1", "--steps", "2", "--eval-steps", "1", "--backend", "go", "--cpuprofile", prof}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	var r benchResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("stdout is not a result: %v\n%s", err, out.String())
	}
	if r.Impl != "gomlx" || r.Net != "sep16" || r.Params != 23610 || r.Batch != 4 || r.Steps != 2 || r.Backend != backend.CPUName {
		t.Errorf("result %+v", r)
	}
	for name, v := range map[string]float64{"train": r.TrainIPS, "infer": r.InferIPS, "cpu": r.TrainCPUPerImg, "loss": r.Loss} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s = %v, want a positive finite value", name, v)
		}
	}
	kernels := map[string]bool{}
	for _, k := range r.ConvTrain {
		kernels[k.Kernel] = k.Calls > 0 && k.Flops > 0 && k.Seconds > 0
	}
	if !kernels["gemm"] || !kernels["depthwise"] || len(r.ConvInfer) == 0 || r.FMAPeakGFLOPS < 0 {
		t.Errorf("convolution kernels: train %+v, infer %+v, FMA peak %v", r.ConvTrain, r.ConvInfer, r.FMAPeakGFLOPS)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Errorf("CPU profile: %v", err)
	}
}

// TestRunMeasured checks the parent's side: the child's last stdout line is
// parsed and its peak RSS and CPU time come from the kernel.
func TestRunMeasured(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	line := `{"impl":"torch","net":"sep16","train_images_per_sec":12.5,"infer_images_per_sec":40}`
	r, err := runMeasured([]string{"sh", "-c", "echo warming up; echo '" + line + "'"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Impl != "torch" || r.TrainIPS != 12.5 || r.InferIPS != 40 || !(r.MaxRSSMiB > 0) || r.ProcessWall <= 0 {
		t.Errorf("result %+v", r)
	}
	if _, err := runMeasured([]string{"sh", "-c", "echo not json"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "not a result") {
		t.Errorf("bad output: err %v", err)
	}
	if _, err := runMeasured([]string{"sh", "-c", "exit 3"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("failing child: err %v", err)
	}
}

func TestBenchTableRatios(t *testing.T) {
	var results []benchResult
	for rep, v := range []struct{ g, tt float64 }{{10, 40}, {12, 40}, {9, 30}} {
		results = append(results,
			benchResult{Impl: "gomlx", Net: "sep16", Params: 23610, TrainIPS: v.g, InferIPS: 2 * v.g, MaxRSSMiB: 900, Repeat: rep},
			benchResult{Impl: "torch", Net: "sep16", Params: 23610, TrainIPS: v.tt, InferIPS: v.tt, MaxRSSMiB: 300, Repeat: rep})
	}
	var out bytes.Buffer
	printBenchTable(&out, results, benchNets()[:1], &benchFlags{batch: 64, warmup: 2, steps: 10, evalSteps: 4, repeat: 3})
	s := out.String()
	// Train ratios 0.25, 0.3, 0.3; inference 0.5, 0.6, 0.6; memory 3.
	for _, want := range []string{"10.0 [9.0-12.0]", "0.300 [0.250-0.300]", "0.600 [0.500-0.600]", "3.000"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
}

// The kernels' table: per network and phase, seconds per step or batch,
// GFLOP/s and the fraction of the FMA peak, medians over repetitions.
func TestBenchTableConvKernels(t *testing.T) {
	var results []benchResult
	for rep, sec := range []float64{0.5, 0.4, 1} {
		results = append(results, benchResult{Impl: "gomlx", Net: "sep16", Steps: 10, EvalSteps: 4, FMAPeakGFLOPS: 100, Repeat: rep,
			ConvTrain: []conv.Stat{{Kernel: "gemm", Calls: 30, Flops: 20e9, Seconds: sec}},
			ConvInfer: []conv.Stat{{Kernel: "depthwise", Calls: 4, Flops: 1e9, Seconds: 0.2}}})
	}
	var out bytes.Buffer
	printBenchTable(&out, results, benchNets()[:1], &benchFlags{batch: 64, warmup: 2, steps: 10, evalSteps: 4, repeat: 3})
	s := out.String()
	// gemm: 0.05 s a step, 40 GFLOP/s (median of 40, 50, 20), 0.40 of the peak; depthwise: 0.05 s a batch, 5 GFLOP/s.
	for _, want := range []string{"sep16  train  gemm                       0.0500       40.0     0.40", "sep16  infer  depthwise                  0.0500        5.0     0.05", "FMA peak 100 GFLOP/s"} {
		if !strings.Contains(s, want) {
			t.Errorf("table lacks %q:\n%s", want, s)
		}
	}
}

func TestStats(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want stat
	}{
		{[]float64{3}, stat{3, 3, 3}},
		{[]float64{5, 1, 3}, stat{3, 1, 5}},
		{[]float64{4, 1, 3, 2}, stat{2.5, 1, 4}},
	} {
		if got := stats(tc.in); got != tc.want {
			t.Errorf("stats(%v) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
	if s := stats(nil); !math.IsNaN(s.med) {
		t.Errorf("stats(nil) = %+v", s)
	}
}
