package train_test

import (
	"context"
	"testing"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/train"
)

// BenchmarkTrainEpoch trains one epoch of 256 synthetic 32x32x3 images
// (batch 64) per iteration on a width-8, depth-4 SepConv network and
// reports training images/s (compile time excluded). Run with
// go test -run '^$' -bench TrainEpoch ./nas/train.
func BenchmarkTrainEpoch(b *testing.B) {
	all, err := data.NewSynthetic(data.SyntheticConfig{N: 320, H: 32, W: 32, C: 3, Classes: 10, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	tr, valid := all.Take(256), all.Take(64)
	r := nas.DefaultRecipe()
	r.Epochs, r.Cutout, r.Flip = 1, false, false
	cfg := train.Config{Backend: testBackend(b), Arch: nas.Uniform(8, 4, nas.OpSepConv, 3), Recipe: r, Train: tr, Valid: valid}
	var ips float64
	for i := 0; i < b.N; i++ {
		res, err := train.Train(context.Background(), cfg)
		if err != nil || res.Failed {
			b.Fatalf("%v %s", err, res.Error)
		}
		ips += res.ImagesPerSec
	}
	b.ReportMetric(ips/float64(b.N), "images/s")
}
