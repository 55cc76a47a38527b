package data_test

import (
	"runtime"
	"slices"
	"testing"

	"github.com/trgnas/trgnas/data"
)

func TestSyntheticShapeAndDeterminism(t *testing.T) {
	cfg := data.SyntheticConfig{N: 103, H: 9, W: 7, C: 2, Classes: 5, Seed: 4, Noise: 0.2}
	d := data.Synthetic(cfg)
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if d.N != 103 || d.H != 9 || d.W != 7 || d.C != 2 || len(d.Classes) != 5 {
		t.Fatalf("shape %d %dx%dx%d, %d classes", d.N, d.H, d.W, d.C, len(d.Classes))
	}
	if got := d.ClassCounts(); !slices.Equal(got, []int{21, 21, 21, 20, 20}) {
		t.Errorf("class counts %v, want balanced", got)
	}
	if data.Synthetic(cfg).Fingerprint() != d.Fingerprint() {
		t.Error("same config, different data")
	}
	prev := runtime.GOMAXPROCS(1)
	one := data.Synthetic(cfg).Fingerprint()
	runtime.GOMAXPROCS(prev)
	if one != d.Fingerprint() {
		t.Error("data depends on GOMAXPROCS")
	}
	cfg.Seed = 5
	if data.Synthetic(cfg).Fingerprint() == d.Fingerprint() {
		t.Error("another seed, same data")
	}
	// A change of the generator changes every ledger's data fingerprint:
	// it must be deliberate. (Computed on amd64; other architectures may
	// round a pixel differently.)
	if fp := data.Synthetic(data.SyntheticConfig{N: 1000, Seed: 1, Noise: 0.2}).Fingerprint(); fp != "sha256:255aa4d06731e61c" {
		if runtime.GOARCH == "amd64" {
			t.Errorf("synthetic fingerprint %s, was sha256:255aa4d06731e61c", fp)
		} else {
			t.Logf("synthetic fingerprint %s on %s (sha256:255aa4d06731e61c on amd64)", fp, runtime.GOARCH)
		}
	}
	def := data.Synthetic(data.SyntheticConfig{})
	if def.N != 1000 || def.H != 32 || def.W != 32 || def.C != 3 || len(def.Classes) != 10 {
		t.Errorf("defaults: %d %dx%dx%d %d", def.N, def.H, def.W, def.C, len(def.Classes))
	}
}

func TestNewSyntheticErrors(t *testing.T) {
	for _, cfg := range []data.SyntheticConfig{{N: -1}, {H: -2}, {Classes: -1}, {Noise: -0.5}} {
		if _, err := data.NewSynthetic(cfg); err == nil {
			t.Errorf("NewSynthetic(%+v) did not fail", cfg)
		}
	}
	if d, err := data.NewSynthetic(data.SyntheticConfig{N: 10, Classes: 2}); err != nil || d.N != 10 {
		t.Errorf("NewSynthetic: %v", err)
	}
}

// TestSyntheticLearnable checks that the classes are separable by a simple
// classifier (nearest class mean on raw pixels) well above chance.
func TestSyntheticLearnable(t *testing.T) {
	d := data.Synthetic(data.SyntheticConfig{N: 2000, Seed: 1, Noise: 0.2})
	train, test, err := d.Split(0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	acc := centroidAccuracy(train, test)
	k := len(d.Classes)
	t.Logf("nearest class mean accuracy: %.3f (chance %.3f)", acc, 1/float64(k))
	if acc < 0.5 {
		t.Errorf("accuracy %.3f: classes not learnable", acc)
	}
}

// centroidAccuracy classifies test by the nearest class mean of train, on
// raw pixels.
func centroidAccuracy(train, test *data.Dataset) float64 {
	sz := train.H * train.W * train.C
	k := len(train.Classes)
	centroid := make([][]float64, k)
	for i := range centroid {
		centroid[i] = make([]float64, sz)
	}
	counts := train.ClassCounts()
	for i := range train.N {
		for p, v := range train.Image(i) {
			centroid[train.Labels[i]][p] += float64(v) / float64(counts[train.Labels[i]])
		}
	}
	correct := 0
	for i := range test.N {
		best, bestD := -1, 0.0
		for c := range k {
			dist := 0.0
			for p, v := range test.Image(i) {
				e := float64(v) - centroid[c][p]
				dist += e * e
			}
			if best < 0 || dist < bestD {
				best, bestD = c, dist
			}
		}
		if int32(best) == test.Labels[i] {
			correct++
		}
	}
	return float64(correct) / float64(test.N)
}
