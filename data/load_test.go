package data_test

import (
	"iter"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, cifarFiles(2, 1))
	mdir := writeMNIST(t, 12, 3, true, nil)
	tests := []struct {
		spec        string
		train, test int
		shape       [3]int
		classes     int
	}{
		{"synthetic", 5000, 1000, [3]int{32, 32, 3}, 10},
		{"synthetic:n=50,test=20,h=8,w=6,c=1,classes=4,seed=3,noise=0", 50, 20, [3]int{8, 6, 1}, 4},
		{"cifar10:" + dir, 10, 1, [3]int{32, 32, 3}, 10},
		{"cifar10:" + filepath.Dir(dir), 0, 0, [3]int{}, 0}, // error: no files there
		{"mnist:" + mdir, 12, 3, [3]int{3, 2, 1}, 10},
	}
	for _, tc := range tests {
		train, test, err := data.Load(tc.spec)
		if tc.train == 0 {
			if err == nil {
				t.Errorf("Load(%q) did not fail", tc.spec)
			}
			continue
		}
		if err != nil {
			t.Errorf("Load(%q): %v", tc.spec, err)
			continue
		}
		if train.N != tc.train || test.N != tc.test || [3]int{train.H, train.W, train.C} != tc.shape || len(test.Classes) != tc.classes {
			t.Errorf("Load(%q): %v / %v", tc.spec, train, test)
		}
	}
	for _, spec := range []string{"imagenet", "cifar10", "synthetic:n=0", "synthetic:x=1", "synthetic:n", "synthetic:seed=a", "synthetic:noise=-1"} {
		if _, _, err := data.Load(spec); err == nil || !strings.Contains(err.Error(), spec) {
			t.Errorf("Load(%q) = %v, want an error naming the spec", spec, err)
		}
	}
	// Training and test sets share the class patterns: test images are
	// classified by the class means of the training set well above chance.
	train, test, err := data.Load("synthetic:n=600,test=200,h=12,w=12,seed=2,noise=0.1")
	if err != nil {
		t.Fatal(err)
	}
	if train.Name != "synthetic-train" || test.Name != "synthetic-test" {
		t.Errorf("train %v, test %v", train, test)
	}
	if acc := centroidAccuracy(train, test); acc < 0.5 {
		t.Errorf("test accuracy of training class means %.3f: patterns not shared", acc)
	}
}

func TestDatasetString(t *testing.T) {
	d := data.Synthetic(data.SyntheticConfig{N: 7, H: 4, W: 5, C: 2, Classes: 3})
	if got, want := d.String(), "synthetic: 7 images 4x5x2, 3 classes"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestEpochPull checks the pull form of an epoch (iter.Pull2), for callers
// that want Next()-style batches, and that stopping early cleans up.
func TestEpochPull(t *testing.T) {
	d := unique(100, 4, 4, 3)
	b, err := data.NewBatcher(d, 32, data.Augment{CropPad: 1, Flip: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, want := collect(t, b, 4)
	next, stop := iter.Pull2(b.Epoch(4))
	for k := 0; ; k++ {
		_, y, ok := next()
		if !ok {
			if k != 4 {
				t.Errorf("%d batches, want 4", k)
			}
			break
		}
		if !slices.Equal(y, want[k]) {
			t.Errorf("batch %d differs from the range form", k)
		}
	}
	stop()
	next, stop = iter.Pull2(b.Epoch(0))
	next()
	stop() // mid-epoch
	if _, _, ok := next(); ok {
		t.Error("next after stop returned a batch")
	}
}
