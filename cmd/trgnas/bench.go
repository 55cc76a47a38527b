package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/backend"
	"github.com/trgnas/trgnas/nas/backend/cpu/conv"
	"github.com/trgnas/trgnas/nas/train"
)

func init() {
	register("bench", "training and inference images/s of fixed networks (optionally against PyTorch)", benchCmd)
}

// benchNet is one benchmark network.
type benchNet struct {
	Name string
	Arch nas.Arch
}

// benchNets returns the benchmark networks in their fixed order:
// sep16 (width 16, depth 10, all SepConv k3), mix16 (width 16, depth 10,
// ops alternating SepConv/Conv, kernels cycling 3, 5, 7) and final (the
// published final network: width 56, depth 16, ops [1 0 1 0 0 ...], k3).
func benchNets() []benchNet {
	mix := nas.Uniform(16, 10, nas.OpSepConv, 3)
	for i := range mix.Ops {
		mix.Ops[i] = i % 2
		mix.Kernels[i] = 3 + 2*(i%3)
	}
	final := nas.Uniform(56, 16, nas.OpSepConv, 3)
	final.Ops[0], final.Ops[2] = 1, 1
	return []benchNet{
		{"sep16", nas.Uniform(16, 10, nas.OpSepConv, 3)},
		{"mix16", mix},
		{"final", final},
	}
}

// selectNets returns the networks named in the comma-separated list (all
// for "" or "all").
func selectNets(list string) ([]benchNet, error) {
	all := benchNets()
	if list == "" || list == "all" {
		return all, nil
	}
	var out []benchNet
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if a, err := nas.ParseKey(name); err == nil {
			out = append(out, benchNet{Name: name, Arch: a})
			continue
		}
		found := false
		for _, n := range all {
			if n.Name == name {
				out = append(out, n)
				found = true
			}
		}
		if !found {
			names := make([]string, len(all))
			for i, n := range all {
				names[i] = n.Name
			}
			return nil, fmt.Errorf("--nets: unknown network %q (have %s, or an architecture key such as w16-o0000-k3333)", name, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// benchResult is one measurement of one network by one implementation.
type benchResult struct {
	Impl           string  `json:"impl"` // "gomlx" or "torch"
	Net            string  `json:"net"`
	Arch           string  `json:"arch"`
	Params         int     `json:"params"`
	Batch          int     `json:"batch"`
	Steps          int     `json:"steps"`
	Warmup         int     `json:"warmup"`
	EvalSteps      int     `json:"eval_steps,omitempty"`
	TrainIPS       float64 `json:"train_images_per_sec"`
	TrainCPUPerImg float64 `json:"train_cpu_ms_per_image"` // process CPU time (user+sys) per trained image, ms
	InferIPS       float64 `json:"infer_images_per_sec"`
	CompileSeconds float64 `json:"compile_seconds"`
	MaxRSSMiB      float64 `json:"max_rss_mib"`     // peak resident memory of the process that ran the network
	ProcessCPU     float64 `json:"process_cpu_sec"` // user+sys of that whole process
	ProcessWall    float64 `json:"process_wall_sec"`
	Backend        string  `json:"backend,omitempty"`
	Loss           float64 `json:"final_loss"`
	Repeat         int     `json:"repeat"`
	// The convolution kernels' time in the timed training steps and in
	// inference, and the float32 FMA peak of the kernels' workers (the
	// project's CPU backend only).
	ConvTrain     []conv.Stat `json:"conv_train,omitempty"`
	ConvInfer     []conv.Stat `json:"conv_infer,omitempty"`
	FMAPeakGFLOPS float64     `json:"fma_peak_gflops,omitempty"`
}

type benchFlags struct {
	nets, backend, python, script, device string
	cpuProfile                            string
	steps, warmup, evalSteps, batch       int
	repeat, threads                       int
	seed                                  int64
	jsonOut, compare, child, torchOnly    bool
	profileInfer                          bool
}

func parseBenchFlags(args []string, stderr io.Writer) (*benchFlags, error) {
	f := &benchFlags{}
	fs := newFlagSet("bench", "", stderr)
	fs.StringVar(&f.nets, "nets", "all", "comma-separated networks: sep16, mix16, final (or all), or architecture keys (not with --compare)")
	fs.StringVar(&f.backend, "backend", "", "GoMLX backend spec (default $GOMLX_BACKEND, else go)")
	fs.IntVar(&f.steps, "steps", 10, "timed training steps (after the warm-up)")
	fs.IntVar(&f.warmup, "warmup", 2, "untimed warm-up training steps")
	fs.IntVar(&f.evalSteps, "eval-steps", 4, "inference batches timed after training")
	fs.IntVar(&f.batch, "batch", 64, "batch size")
	fs.IntVar(&f.repeat, "repeat", 1, "repetitions of the whole set (the table shows the median and the range)")
	fs.Int64Var(&f.seed, "seed", 1, "seed of the weights and of the synthetic data")
	fs.BoolVar(&f.jsonOut, "json", false, "print one JSON object per measurement instead of the table")
	fs.BoolVar(&f.compare, "compare", false, "also run the PyTorch script on each network, back to back, and print the ratios")
	fs.BoolVar(&f.torchOnly, "torch-only", false, "run only the PyTorch script (implies --compare)")
	fs.StringVar(&f.python, "python", "python3", "Python interpreter for --compare")
	fs.StringVar(&f.script, "script", "bench/torch_bench.py", "PyTorch benchmark script for --compare")
	fs.StringVar(&f.device, "device", "cpu", "PyTorch device for --compare (cpu or cuda)")
	fs.IntVar(&f.threads, "threads", 2, "PyTorch intra-op threads for --compare")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "with --child: write a CPU profile of the timed training steps to this file")
	fs.BoolVar(&f.profileInfer, "profile-infer", false, "with --cpuprofile: profile the inference batches instead of the training steps")
	fs.BoolVar(&f.child, "child", false, "internal: measure one network in this process and print its JSON")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		name string
		v    int
		min  int
	}{{"steps", f.steps, 1}, {"warmup", f.warmup, 1}, {"eval-steps", f.evalSteps, 1}, {"batch", f.batch, 1}, {"repeat", f.repeat, 1}, {"threads", f.threads, 1}} {
		if c.v < c.min {
			return nil, fmt.Errorf("--%s %d: must be >= %d", c.name, c.v, c.min)
		}
	}
	if f.torchOnly {
		f.compare = true
	}
	return f, nil
}

func benchCmd(args []string, stdout, stderr io.Writer) error {
	f, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	nets, err := selectNets(f.nets)
	if err != nil {
		return err
	}
	if f.compare {
		for _, n := range nets {
			if n.Name == n.Arch.Key() {
				return fmt.Errorf("--nets %s: the PyTorch script knows only sep16, mix16 and final; leave --compare off for an architecture key", n.Name)
			}
		}
	}
	if f.child {
		if len(nets) != 1 {
			return fmt.Errorf("--child measures exactly one network, got %d", len(nets))
		}
		r, err := benchOne(context.Background(), f, nets[0])
		if err != nil {
			return err
		}
		return json.NewEncoder(stdout).Encode(r)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this executable to measure each network in its own process: %w", err)
	}
	var results []benchResult
	enc := json.NewEncoder(stdout)
	for rep := 0; rep < f.repeat; rep++ {
		for _, n := range nets {
			var cmds [][]string
			if !f.torchOnly {
				cmds = append(cmds, append([]string{self, "bench", "--child"}, childArgs(f, n.Name)...))
			}
			if f.compare {
				cmds = append(cmds, []string{f.python, f.script, "--net", n.Name, "--steps", fmt.Sprint(f.steps),
					"--warmup", fmt.Sprint(f.warmup), "--eval-steps", fmt.Sprint(f.evalSteps), "--batch", fmt.Sprint(f.batch),
					"--seed", fmt.Sprint(f.seed), "--threads", fmt.Sprint(f.threads), "--device", f.device})
			}
			for _, argv := range cmds {
				r, err := runMeasured(argv, stderr)
				if err != nil {
					return fmt.Errorf("%s: %w", n.Name, err)
				}
				r.Repeat = rep
				results = append(results, r)
				if f.jsonOut {
					if err := enc.Encode(r); err != nil {
						return err
					}
				} else {
					fmt.Fprintf(stderr, "bench: %-5s %-5s rep %d: train %.1f img/s (%.1f CPU ms/img), infer %.1f img/s, max RSS %.0f MiB\n",
						r.Impl, r.Net, rep, r.TrainIPS, r.TrainCPUPerImg, r.InferIPS, r.MaxRSSMiB)
				}
			}
		}
	}
	if !f.jsonOut {
		printBenchTable(stdout, results, nets, f)
	}
	return nil
}

func childArgs(f *benchFlags, net string) []string {
	a := []string{"--nets", net, "--steps", fmt.Sprint(f.steps), "--warmup", fmt.Sprint(f.warmup),
		"--eval-steps", fmt.Sprint(f.evalSteps), "--batch", fmt.Sprint(f.batch), "--seed", fmt.Sprint(f.seed)}
	if f.backend != "" {
		a = append(a, "--backend", f.backend)
	}
	return a
}

// runMeasured runs argv, which must print one benchResult as JSON on its
// last stdout line, and adds the process's peak RSS and CPU time from the
// kernel's accounting of the child (getrusage of the waited-for process).
func runMeasured(argv []string, stderr io.Writer) (benchResult, error) {
	var out bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = &out
	cmd.Stderr = stderr
	t0 := time.Now()
	if err := cmd.Run(); err != nil {
		return benchResult{}, fmt.Errorf("running %s: %w", strings.Join(argv, " "), err)
	}
	wall := time.Since(t0).Seconds()
	var last string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			last = s
		}
	}
	var r benchResult
	if err := json.Unmarshal([]byte(last), &r); err != nil {
		return benchResult{}, fmt.Errorf("%s: last output line %q is not a result: %w", argv[0], last, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.MaxRSSMiB = float64(ru.Maxrss) / 1024 // Linux reports KiB
		r.ProcessCPU = tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
	}
	r.ProcessWall = wall
	return r, nil
}

func tvSeconds(tv syscall.Timeval) float64 { return float64(tv.Sec) + float64(tv.Usec)/1e6 }

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return math.NaN()
	}
	return tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
}

// benchOne trains n with the real trainer (train.Train: the model builder and
// the SGD optimizer of package nas) on synthetic 32x32x3 images for
// warmup+steps steps of one epoch, then evaluates evalSteps batches. The
// training rate is timed from the end of the warm-up steps to the end of the
// last step, the inference rate over the evaluation after the epoch (the
// evaluation executable runs once, untimed, before training).
func benchOne(ctx context.Context, f *benchFlags, n benchNet) (benchResult, error) {
	be, err := backend.Open(f.backend)
	if err != nil {
		return benchResult{}, err
	}
	defer be.Finalize()
	total := f.warmup + f.steps
	all, err := data.NewSynthetic(data.SyntheticConfig{N: (total + f.evalSteps) * f.batch, H: 32, W: 32, C: 3, Classes: 10, Seed: f.seed, Noise: 0.2})
	if err != nil {
		return benchResult{}, err
	}
	trainSet := all.Take(total * f.batch)
	valid := all.Take(f.evalSteps * f.batch)
	r := nas.DefaultRecipe()
	r.Epochs, r.BatchSize, r.Seed = 1, f.batch, f.seed
	r.Cutout, r.Flip, r.CropPad = false, false, 0
	var tWarm, tLast, tDone time.Time
	var cWarm, cLast float64
	var loss float64
	var convTrain, convInfer []conv.Stat
	defer conv.RecordStats(false)
	var prof *os.File
	if f.cpuProfile != "" {
		if prof, err = os.Create(f.cpuProfile); err != nil {
			return benchResult{}, err
		}
		defer prof.Close()
	}
	cfg := train.Config{
		Backend: be, Arch: n.Arch, Recipe: r, Train: trainSet, Valid: valid,
		EvalWarmup: true, // as in torch_bench.py, the timed inference batches follow an untimed one
		Progress: func(p train.Progress) {
			now := time.Now()
			switch {
			case p.Done != nil:
				tDone = now
				convInfer = conv.Stats()
				conv.RecordStats(false)
				if prof != nil && f.profileInfer {
					pprof.StopCPUProfile()
				}
			case p.Step == f.warmup:
				tWarm, cWarm = now, cpuSeconds()
				conv.RecordStats(true)
				if prof != nil && !f.profileInfer {
					if err := pprof.StartCPUProfile(prof); err != nil {
						prof = nil
					}
				}
			case p.Step == total:
				tLast, cLast = now, cpuSeconds()
				convTrain = conv.Stats()
				conv.RecordStats(true)
				if prof != nil {
					if f.profileInfer {
						if err := pprof.StartCPUProfile(prof); err != nil {
							prof = nil
						}
					} else {
						pprof.StopCPUProfile()
					}
				}
				loss = p.Loss
			}
		},
	}
	res, err := train.Train(ctx, cfg)
	if err != nil {
		return benchResult{}, err
	}
	if res.Failed {
		return benchResult{}, fmt.Errorf("%s: training failed: %s", n.Name, res.Error)
	}
	if tWarm.IsZero() || tLast.IsZero() || tDone.IsZero() {
		return benchResult{}, errors.New("trainer did not report every step")
	}
	images := float64(f.steps * f.batch)
	var peak float64
	if len(convTrain) > 0 { // the project's kernels ran: their yardstick
		peak = conv.FMAPeak(runtime.GOMAXPROCS(0))
	}
	return benchResult{
		Impl: "gomlx", Net: n.Name, Arch: n.Arch.Key(), Params: res.Params, Batch: f.batch,
		Steps: f.steps, Warmup: f.warmup, EvalSteps: f.evalSteps,
		TrainIPS:       images / tLast.Sub(tWarm).Seconds(),
		TrainCPUPerImg: 1000 * (cLast - cWarm) / images,
		InferIPS:       float64(f.evalSteps*f.batch) / tDone.Sub(tLast).Seconds(),
		CompileSeconds: res.CompileSeconds,
		Backend:        res.Backend,
		Loss:           loss,
		ConvTrain:      convTrain,
		ConvInfer:      convInfer,
		FMAPeakGFLOPS:  peak,
	}, nil
}

// stat is the median and range of some values.
type stat struct{ med, lo, hi float64 }

func stats(v []float64) stat {
	if len(v) == 0 {
		return stat{math.NaN(), math.NaN(), math.NaN()}
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{m, s[0], s[len(s)-1]}
}

func (s stat) String() string {
	if s.lo == s.hi {
		return fmt.Sprintf("%.1f", s.med)
	}
	return fmt.Sprintf("%.1f [%.1f-%.1f]", s.med, s.lo, s.hi)
}

// printBenchTable prints per network and implementation the median and
// range over the repetitions, and with both implementations present, the
// ratios GoMLX/PyTorch (images/s: higher is better for GoMLX; memory:
// lower is better) computed per repetition (the two ran back to back).
func printBenchTable(w io.Writer, results []benchResult, nets []benchNet, f *benchFlags) {
	fmt.Fprintf(w, "batch %d, %d warm-up + %d timed steps, %d inference batches, 32x32x3 synthetic, %d repetition(s)\n",
		f.batch, f.warmup, f.steps, f.evalSteps, f.repeat)
	fmt.Fprintf(w, "%-6s %-6s %8s %22s %20s %22s %18s %10s\n", "net", "impl", "params", "train img/s", "train CPU ms/img", "infer img/s", "max RSS MiB", "compile s")
	by := map[string][]benchResult{}
	for _, r := range results {
		by[r.Net+"/"+r.Impl] = append(by[r.Net+"/"+r.Impl], r)
	}
	col := func(rs []benchResult, get func(benchResult) float64) stat {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = get(r)
		}
		return stats(v)
	}
	for _, n := range nets {
		for _, impl := range []string{"gomlx", "torch"} {
			rs := by[n.Name+"/"+impl]
			if len(rs) == 0 {
				continue
			}
			fmt.Fprintf(w, "%-6s %-6s %8d %22s %20s %22s %18s %10s\n", n.Name, impl, rs[0].Params,
				col(rs, func(r benchResult) float64 { return r.TrainIPS }),
				col(rs, func(r benchResult) float64 { return r.TrainCPUPerImg }),
				col(rs, func(r benchResult) float64 { return r.InferIPS }),
				col(rs, func(r benchResult) float64 { return r.MaxRSSMiB }),
				fmt.Sprintf("%.2f", col(rs, func(r benchResult) float64 { return r.CompileSeconds }).med))
		}
	}
	var header bool
	for _, n := range nets {
		g, t := by[n.Name+"/gomlx"], by[n.Name+"/torch"]
		if len(g) == 0 || len(t) == 0 || len(g) != len(t) {
			continue
		}
		if !header {
			fmt.Fprintf(w, "\nratios GoMLX / PyTorch (per repetition, median [range]); targets: train >= 0.5, memory <= 2\n")
			fmt.Fprintf(w, "%-6s %22s %22s %22s\n", "net", "train img/s", "infer img/s", "max RSS")
			header = true
		}
		var tr, in, mem []float64
		for i := range g {
			tr = append(tr, g[i].TrainIPS/t[i].TrainIPS)
			in = append(in, g[i].InferIPS/t[i].InferIPS)
			mem = append(mem, g[i].MaxRSSMiB/t[i].MaxRSSMiB)
		}
		fmt.Fprintf(w, "%-6s %22s %22s %22s\n", n.Name, ratio(stats(tr)), ratio(stats(in)), ratio(stats(mem)))
	}
	printConvStats(w, by, nets)
}

// printConvStats prints, per network, each convolution kernel's share
// of the GoMLX run's time and its GFLOP/s against the FMA peak (medians
// over the repetitions).
func printConvStats(w io.Writer, by map[string][]benchResult, nets []benchNet) {
	var header bool
	for _, n := range nets {
		rs := by[n.Name+"/gomlx"]
		if len(rs) == 0 || len(rs[0].ConvTrain) == 0 {
			continue
		}
		if !header {
			fmt.Fprintf(w, "\nconvolution kernels (GoMLX, median over repetitions): seconds per training step or inference batch, GFLOP/s, fraction of the float32 FMA peak of the workers\n")
			fmt.Fprintf(w, "%-6s %-6s %-22s %10s %10s %8s\n", "net", "phase", "kernel", "s/step", "GFLOP/s", "of peak")
			header = true
		}
		for _, ph := range []struct {
			name  string
			steps func(benchResult) int
			get   func(benchResult) []conv.Stat
		}{
			{"train", func(r benchResult) int { return r.Steps }, func(r benchResult) []conv.Stat { return r.ConvTrain }},
			{"infer", func(r benchResult) int { return r.EvalSteps }, func(r benchResult) []conv.Stat { return r.ConvInfer }},
		} {
			for _, k := range ph.get(rs[0]) {
				var sec, gf, frac []float64
				for _, r := range rs {
					for _, s := range ph.get(r) {
						if s.Kernel != k.Kernel || s.Seconds <= 0 {
							continue
						}
						sec = append(sec, s.Seconds/float64(max(1, ph.steps(r))))
						gf = append(gf, s.Flops/s.Seconds/1e9)
						if r.FMAPeakGFLOPS > 0 {
							frac = append(frac, s.Flops/s.Seconds/1e9/r.FMAPeakGFLOPS)
						}
					}
				}
				if len(gf) == 0 {
					continue
				}
				of := "-"
				if len(frac) > 0 {
					of = fmt.Sprintf("%.2f", stats(frac).med)
				}
				fmt.Fprintf(w, "%-6s %-6s %-22s %10.4f %10.1f %8s\n", n.Name, ph.name, k.Kernel, stats(sec).med, stats(gf).med, of)
			}
		}
		fmt.Fprintf(w, "%-6s FMA peak %.0f GFLOP/s\n", n.Name, stats(func() []float64 {
			v := make([]float64, len(rs))
			for i, r := range rs {
				v[i] = r.FMAPeakGFLOPS
			}
			return v
		}()).med)
	}
}

func ratio(s stat) string {
	if s.lo == s.hi {
		return fmt.Sprintf("%.3f", s.med)
	}
	return fmt.Sprintf("%.3f [%.3f-%.3f]", s.med, s.lo, s.hi)
}
