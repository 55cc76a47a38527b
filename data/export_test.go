package data

import "bytes"

// ParseMNISTBytes parses an images and a labels idx file given as bytes,
// both gzipped or both plain, as MNIST does with files of those names.
// It lets the fuzz tests of data_test share that package's file helpers.
func ParseMNISTBytes(imagesName string, images []byte, labelsName string, labels []byte, gzipped bool) (*Dataset, error) {
	idims, ib, err := parseIDX(imagesName, bytes.NewReader(images), int64(len(images)), gzipped, 3)
	if err != nil {
		return nil, err
	}
	ldims, lb, err := parseIDX(labelsName, bytes.NewReader(labels), int64(len(labels)), gzipped, 1)
	if err != nil {
		return nil, err
	}
	return mnistDataset("fuzz", imagesName, idims, ib, labelsName, ldims, lb)
}

// ParseIDXBytes parses one idx file given as bytes.
func ParseIDXBytes(name string, b []byte, gzipped bool, ndims int) ([]int, []byte, error) {
	return parseIDX(name, bytes.NewReader(b), int64(len(b)), gzipped, ndims)
}

// ParseCIFARBytes parses a CIFAR-10 record file given as bytes.
func ParseCIFARBytes(name string, b []byte, classes []string) (*Dataset, error) {
	d := &Dataset{Name: "fuzz", H: 32, W: 32, C: 3, Classes: classes}
	if err := parseCIFAR(name, b, d); err != nil {
		return nil, err
	}
	return d, nil
}

// ParseCIFARMetaBytes parses a CIFAR-10 class names file given as bytes.
func ParseCIFARMetaBytes(name string, b []byte) ([]string, error) {
	return parseCIFARMeta(name, b)
}
