package data

import (
	"fmt"
	"strconv"
	"strings"
)

// Spec names the data of an experiment: which dataset, where its files
// are, the class subset and the validation split. It is written into
// ledger headers, so that a later step (the final training, a notebook
// opening the ledger) finds the same data, and its Name is the one string
// that identifies the data in ledgers, reports and plots.
//
// Opening a Spec for a search reads the training files only; the test set
// is read by Test, which only the final step calls.
type Spec struct {
	Dataset   string           `json:"dataset"`             // mnist, fashion-mnist, cifar10 or synthetic
	Dir       string           `json:"dir,omitempty"`       // directory of the files; "" for the dataset's default
	Classes   []int            `json:"classes,omitempty"`   // class ids kept (relabelled 0..n-1); empty keeps all
	ValidFrac float64          `json:"valid_frac"`          // fraction of the training set held out for validation
	Seed      int64            `json:"seed"`                // seed of the split (and of synthetic data)
	Synthetic *SyntheticConfig `json:"synthetic,omitempty"` // synthetic only; its Seed is Spec.Seed
}

// Datasets lists the dataset names a Spec accepts.
var Datasets = []string{"mnist", "fashion-mnist", "cifar10", "synthetic"}

// Validate rejects a Spec that cannot name data.
func (s Spec) Validate() error {
	switch s.Dataset {
	case "mnist", "fashion-mnist", "synthetic":
	case "cifar10":
		if s.Dir == "" {
			return fmt.Errorf("data: dataset cifar10 needs a directory (the CIFAR-10 binary files)")
		}
	default:
		return fmt.Errorf("data: dataset %q: want one of %s", s.Dataset, strings.Join(Datasets, ", "))
	}
	if !(s.ValidFrac > 0 && s.ValidFrac < 1) {
		return fmt.Errorf("data: valid_frac %g, must be in (0, 1)", s.ValidFrac)
	}
	return nil
}

// Train reads the whole training set (training and validation split
// together), class subset applied. It reads no test file.
func (s Spec) Train() (*Dataset, error) { return s.read(false) }

// Test reads the test set, class subset applied. Only the final step of a
// search calls it.
func (s Spec) Test() (*Dataset, error) { return s.read(true) }

// read reads the training set, or the test set when test is set.
func (s Spec) read(test bool) (*Dataset, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	var d *Dataset
	var err error
	switch s.Dataset {
	case "mnist":
		d, err = mnistPart(s.Dir, test)
	case "fashion-mnist":
		d, err = fashionPart(s.Dir, test)
	case "cifar10":
		d, err = cifarPart(s.Dir, test)
	case "synthetic":
		d, err = s.synthetic(test)
	}
	if err != nil {
		return nil, err
	}
	return s.subset(d)
}

// Split reads the training set and holds out the stratified validation
// split (seeded by s.Seed). name identifies the data for a ledger: dataset,
// content fingerprint of the whole training set, split sizes, seed and
// classes.
func (s Spec) Split() (train, valid *Dataset, name string, err error) {
	full, err := s.Train()
	if err != nil {
		return nil, nil, "", err
	}
	return s.SplitOf(full)
}

// SplitOf is Split of the whole training set full, as Train returned it:
// for callers that need full too, without reading the files twice.
func (s Spec) SplitOf(full *Dataset) (train, valid *Dataset, name string, err error) {
	if train, valid, err = full.Split(s.ValidFrac, s.Seed); err != nil {
		return nil, nil, "", err
	}
	return train, valid, s.name(full, train.N, valid.N), nil
}

func (s Spec) name(full *Dataset, nTrain, nValid int) string {
	name := fmt.Sprintf("%s %s, %d train / %d valid (split %g, seed %d)", full.Name, full.Fingerprint(), nTrain, nValid, s.ValidFrac, s.Seed)
	if len(s.Classes) > 0 {
		ids := make([]string, len(s.Classes))
		for i, c := range s.Classes {
			ids[i] = strconv.Itoa(c)
		}
		name += ", classes " + strings.Join(ids, ",")
	}
	return name
}

// DataName is the short name of the dataset for titles: "fashion-mnist",
// "mnist", ... with the class subset when there is one.
func (s Spec) DataName() string {
	if len(s.Classes) == 0 {
		return s.Dataset
	}
	ids := make([]string, len(s.Classes))
	for i, c := range s.Classes {
		ids[i] = strconv.Itoa(c)
	}
	return s.Dataset + " (classes " + strings.Join(ids, ",") + ")"
}

func (s Spec) subset(d *Dataset) (*Dataset, error) {
	if len(s.Classes) == 0 {
		return d, nil
	}
	out, err := d.Subset(s.Classes)
	if err != nil {
		return nil, fmt.Errorf("data: classes: %w", err)
	}
	return out, nil
}

// synthetic draws the synthetic set of the spec; a sixth is the test set.
func (s Spec) synthetic(test bool) (*Dataset, error) {
	cfg := SyntheticConfig{N: 1200, H: 8, W: 8, C: 1, Classes: 4, Noise: 0.2}
	if s.Synthetic != nil {
		cfg = *s.Synthetic
	}
	cfg.Seed = s.Seed
	all, err := NewSynthetic(cfg)
	if err != nil {
		return nil, err
	}
	train, tst, err := all.Split(1.0/6, 0)
	if err != nil {
		return nil, err
	}
	if test {
		return tst, nil
	}
	return train, nil
}

// bothParts reads the training and the test set with a dataset's reader.
func bothParts(part func(dir string, test bool) (*Dataset, error), dir string) (train, test *Dataset, err error) {
	if train, err = part(dir, false); err != nil {
		return nil, nil, err
	}
	if test, err = part(dir, true); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}
