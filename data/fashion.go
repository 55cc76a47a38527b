package data

import (
	"errors"
	"fmt"
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist package installs
// the original Fashion-MNIST idx files; FashionMNIST reads it by default.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTPackage is the Debian package that ships the files.
const FashionMNISTPackage = "dataset-fashion-mnist"

// FashionMNISTClasses are the names of the ten Fashion-MNIST classes, in
// label order.
var FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// FashionMNIST reads the Fashion-MNIST training (60,000 images) and test
// (10,000 images) sets, 28x28x1, ten clothing classes, from the original
// idx files in dir (named and laid out as MNIST's, gzipped or not). With
// dir "" it reads FashionMNISTDir. When the files are missing the error
// wraps ErrNotFound and says which package installs them.
func FashionMNIST(dir string) (train, test *Dataset, err error) {
	return bothParts(fashionPart, dir)
}

// fashionPart reads the Fashion-MNIST training set, or the test set when
// test is set.
func fashionPart(dir string, test bool) (*Dataset, error) {
	explicit := dir != ""
	if !explicit {
		dir = FashionMNISTDir
	}
	images, labels, name := mnistFiles[0], mnistFiles[1], "fashion-mnist-train"
	if test {
		images, labels, name = mnistFiles[2], mnistFiles[3], "fashion-mnist-test"
	}
	d, err := readMNIST(dir, images, labels, name)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			hint := fmt.Sprintf("install Debian's %s package (apt-get install %s), which puts the files in %s", FashionMNISTPackage, FashionMNISTPackage, FashionMNISTDir)
			if explicit {
				hint = fmt.Sprintf("pass the directory that holds %s.gz and the other idx files, or %s", mnistFiles[0], hint)
			}
			return nil, fmt.Errorf("%w; Fashion-MNIST: %s", err, hint)
		}
		return nil, err
	}
	d.Classes = append([]string(nil), FashionMNISTClasses...)
	return d, nil
}
