package data_test

import (
	"fmt"
	"testing"

	"github.com/trgnas/trgnas/data"
)

// BenchmarkBatcher measures the training input pipeline of the published
// recipe: pad-4 crop, flip, Cutout 16, normalisation of 32x32x3 images in
// batches of 64, and reports images/s.
func BenchmarkBatcher(b *testing.B) {
	d := data.Synthetic(data.SyntheticConfig{N: 4096, Seed: 1, Noise: 0.2})
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
			b.ResetTimer()
			for e := 0; b.Loop(); e++ {
				for _, y := range bt.Epoch(e) {
					images += len(y)
				}
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
