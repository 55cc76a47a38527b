package data_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
)

func TestSpecReadsTestFilesOnlyInTest(t *testing.T) {
	dir := writeMNIST(t, 40, 10, true, map[string][]byte{"t10k-images-idx3-ubyte.gz": nil})
	for _, ds := range []string{"mnist", "fashion-mnist"} {
		s := data.Spec{Dataset: ds, Dir: dir, Classes: []int{3, 0}, ValidFrac: 0.25, Seed: 2}
		train, valid, name, err := s.Split()
		if err != nil {
			t.Fatalf("%s: Split without test files: %v", ds, err)
		}
		if train.N+valid.N != 8 || len(train.Classes) != 2 {
			t.Errorf("%s: %d + %d images of %d classes, want 8 of 2", ds, train.N, valid.N, len(train.Classes))
		}
		full, err := s.Train()
		if err != nil {
			t.Fatal(err)
		}
		want := full.Name + " " + full.Fingerprint() + ", 6 train / 2 valid (split 0.25, seed 2), classes 3,0"
		if name != want || !strings.HasPrefix(name, ds+"-train") {
			t.Errorf("name %q, want %q", name, want)
		}
		if _, err := s.Test(); !errors.Is(err, data.ErrNotFound) || !strings.Contains(err.Error(), "t10k-images") {
			t.Errorf("%s: Test without test files: %v", ds, err)
		}
	}
	for _, tc := range []struct {
		s    data.Spec
		want string
	}{
		{data.Spec{Dataset: "imagenet", ValidFrac: 0.1}, `"imagenet"`},
		{data.Spec{Dataset: "cifar10", ValidFrac: 0.1}, "needs a directory"},
		{data.Spec{Dataset: "mnist", ValidFrac: 1}, "valid_frac 1"},
	} {
		if _, _, _, err := tc.s.Split(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.s, err, tc.want)
		}
	}
}

func TestSpecSynthetic(t *testing.T) {
	s := data.Spec{Dataset: "synthetic", ValidFrac: 0.1, Seed: 4, Synthetic: &data.SyntheticConfig{N: 600, H: 8, W: 8, C: 1, Classes: 3, Noise: 0.1}}
	full, err := s.Train()
	if err != nil {
		t.Fatal(err)
	}
	test, err := s.Test()
	if err != nil {
		t.Fatal(err)
	}
	if full.N+test.N != 600 || test.N < 95 || test.N > 105 {
		t.Errorf("synthetic: %d train and %d test images, want a sixth of 600 held out", full.N, test.N)
	}
	if s.DataName() != "synthetic" {
		t.Errorf("DataName %q", s.DataName())
	}
}
