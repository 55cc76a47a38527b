package data_test

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/trgnas/trgnas/data"
)

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchN is the number of images of the benchmark datasets: 4096, or
// $DATA_BENCH_N (e.g. 50000 for a CIFAR-10-sized set).
func benchN(b *testing.B) int {
	if s := os.Getenv("DATA_BENCH_N"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("DATA_BENCH_N=%q: want a positive integer", s)
		}
		return n
	}
	return 4096
}

// BenchmarkBatcher measures the training input pipeline of the published
// recipe: pad-4 crop, flip, Cutout 16, normalisation of 32x32x3 images in
// batches of 64. It reports images/s (wall clock) and images per CPU
// second (which does not depend on other load on the machine).
func BenchmarkBatcher(b *testing.B) {
	d := data.Synthetic(data.SyntheticConfig{N: benchN(b), Seed: 1, Noise: 0.2})
	for _, w := range []int{1, 2, 0} {
		name := fmt.Sprintf("workers=%d", w)
		if w == 0 {
			name = "workers=default"
		}
		b.Run(name, func(b *testing.B) {
			bt, err := data.NewBatcher(d, 64, data.CIFAR10Augment(), 1)
			if err != nil {
				b.Fatal(err)
			}
			if w > 0 {
				bt = bt.WithWorkers(w)
			}
			images := 0
			cpu0 := cpuTime()
			for e := 0; b.Loop(); e++ {
				for _, y := range bt.Epoch(e) {
					images += len(y)
				}
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
			if cpu > 0 {
				b.ReportMetric(float64(images)/cpu.Seconds(), "images/cpu-s")
			}
		})
	}
}

// BenchmarkEval measures normalised evaluation batches of 32x32x3 images.
func BenchmarkEval(b *testing.B) {
	d := data.Synthetic(data.SyntheticConfig{N: benchN(b), Seed: 1, Noise: 0.2})
	mean, std := data.CIFAR10Norm()
	images := 0
	for b.Loop() {
		it, err := data.EvalBatches(d, 500, mean, std)
		if err != nil {
			b.Fatal(err)
		}
		for _, y := range it {
			images += len(y)
		}
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
}
