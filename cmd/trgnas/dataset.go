package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/trgnas/trgnas/data"
)

// datasetHelp is the text of the --dataset flag of every subcommand.
const datasetHelp = "dataset: mnist (embedded copy unless --data-dir), fashion-mnist (Debian's dataset-fashion-mnist files unless --data-dir), cifar10 (needs --data-dir) or synthetic"

// dataSpec builds the data.Spec of the dataset flags. classes is the
// --classes text ("3,5"), "" for all classes.
func dataSpec(dataset, dir, classes string, validFrac float64, seed int64, synth data.SyntheticConfig) (data.Spec, error) {
	s := data.Spec{Dataset: dataset, Dir: dir, ValidFrac: validFrac, Seed: seed}
	if classes != "" {
		ids, err := intList("classes", classes)
		if err != nil {
			return data.Spec{}, err
		}
		s.Classes = ids
	}
	if dataset == "synthetic" {
		synth.W = synth.H
		s.Synthetic = &synth
	}
	switch {
	case !slices.Contains(data.Datasets, dataset):
		return data.Spec{}, fmt.Errorf("--dataset %q: want %s", dataset, strings.Join(data.Datasets, ", "))
	case dataset == "cifar10" && dir == "":
		return data.Spec{}, fmt.Errorf("--dataset cifar10 needs --data-dir (the directory of the CIFAR-10 binary files)")
	case !(validFrac > 0 && validFrac < 1):
		return data.Spec{}, fmt.Errorf("--valid-frac %g, must be in (0, 1)", validFrac)
	}
	if err := s.Validate(); err != nil {
		return data.Spec{}, fmt.Errorf("--dataset %s: %w", dataset, err)
	}
	return s, nil
}

// augDefaults is the augmentation a dataset trains with unless flags say
// otherwise: CIFAR-10 the published crop 4, Cutout 16 and flips; MNIST
// crop 2 (digits are not mirrored); Fashion-MNIST crop 2 and flips
// (clothes are, mostly, symmetric); synthetic none.
func augDefaults(dataset string) (crop, cutout int, flip bool) {
	switch dataset {
	case "cifar10":
		return 4, 16, true
	case "mnist":
		return 2, 0, false
	case "fashion-mnist":
		return 2, 0, true
	}
	return 0, 0, false
}

// normOf is the normalisation of a dataset: the published constants for
// CIFAR-10, nil (computed from the training set) otherwise.
func normOf(dataset string) (mean, std []float32) {
	if dataset == "cifar10" {
		return data.CIFAR10Norm()
	}
	return nil, nil
}

// intList parses "1,2,3".
func intList(flagName, s string) ([]int, error) {
	var out []int
	for i, p := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("--%s: item %d %q: not an integer", flagName, i+1, p)
		}
		out = append(out, v)
	}
	return out, nil
}
