package data

import (
	"fmt"
	"strconv"
	"strings"
)

// String describes the dataset in one line, e.g.
// "mnist-train: 60000 images 28x28x1, 10 classes".
func (d *Dataset) String() string {
	return fmt.Sprintf("%s: %d images %dx%dx%d, %d classes", d.Name, d.N, d.H, d.W, d.C, len(d.Classes))
}

// Load returns the training and test sets named by spec, the form a
// command-line flag or a notebook cell gives:
//
//	mnist                 MNIST from the Go module cache (see MNISTDir)
//	mnist:DIR             MNIST idx files in DIR
//	fashion-mnist         Fashion-MNIST from Debian's package (see FashionMNISTDir)
//	fashion-mnist:DIR     Fashion-MNIST idx files in DIR
//	cifar10:DIR           CIFAR-10 binary files in DIR (or DIR/cifar-10-batches-bin)
//	synthetic             Synthetic, 5000 training and 1000 test images, 32x32x3, 10 classes
//	synthetic:KEY=V,...   with keys n, test, h, w, c, classes, seed, noise
//
// The synthetic training and test sets share their class patterns (they
// are drawn as one set and cut in two). The default noise is 0.2.
func Load(spec string) (train, test *Dataset, err error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "mnist":
		return MNIST(arg)
	case "fashion-mnist":
		return FashionMNIST(arg)
	case "cifar10":
		if arg == "" {
			return nil, nil, fmt.Errorf("data: dataset %q: cifar10 needs a directory, e.g. cifar10:/data/cifar-10-batches-bin", spec)
		}
		return CIFAR10(arg)
	case "synthetic":
		return loadSynthetic(spec, arg)
	}
	return nil, nil, fmt.Errorf("data: dataset %q: unknown kind %q, want mnist, fashion-mnist, cifar10 or synthetic", spec, kind)
}

// loadSynthetic parses the options of a synthetic spec.
func loadSynthetic(spec, arg string) (train, test *Dataset, err error) {
	cfg := SyntheticConfig{N: 5000, H: 32, W: 32, C: 3, Classes: 10, Noise: 0.2}
	nTest := 1000
	ints := map[string]*int{"n": &cfg.N, "test": &nTest, "h": &cfg.H, "w": &cfg.W, "c": &cfg.C, "classes": &cfg.Classes}
	for _, kv := range strings.Split(arg, ",") {
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, nil, fmt.Errorf("data: dataset %q: option %q: want KEY=VALUE", spec, kv)
		}
		switch {
		case ints[k] != nil:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, nil, fmt.Errorf("data: dataset %q: option %s=%s: want a positive integer", spec, k, v)
			}
			*ints[k] = n
		case k == "seed":
			s, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("data: dataset %q: option seed=%s: want an integer", spec, v)
			}
			cfg.Seed = s
		case k == "noise":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("data: dataset %q: option noise=%s: want a number", spec, v)
			}
			cfg.Noise = f
		default:
			return nil, nil, fmt.Errorf("data: dataset %q: unknown option %q, want n, test, h, w, c, classes, seed or noise", spec, k)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, fmt.Errorf("data: dataset %q: %w", spec, err)
	}
	n := cfg.N
	cfg.N += nTest
	all := Synthetic(cfg)
	idx := make([]int, all.N)
	for i := range idx {
		idx[i] = i
	}
	return all.gather(idx[:n], "synthetic-train"), all.gather(idx[n:], "synthetic-test"), nil
}
