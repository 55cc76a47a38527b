package data_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/trgnas/trgnas/data"
)

// A synthetic CIFAR-shaped set, split, then batched for training with the
// published augmentation and for evaluation with the same normalisation.
func Example() {
	d := data.Synthetic(data.SyntheticConfig{N: 200, H: 32, W: 32, C: 3, Classes: 10, Seed: 1, Noise: 0.1})
	train, valid, err := d.Split(0.1, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("train", train.N, "valid", valid.N, "classes", len(train.Classes))

	b, err := data.NewBatcher(train, 64, data.CIFAR10Augment(), 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	for x, y := range b.Epoch(0) {
		fmt.Println("train batch", len(y), "images,", len(x), "values")
	}
	mean, std := b.Norm()
	eval, err := data.EvalBatches(valid, 64, mean, std)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, y := range eval {
		fmt.Println("eval batch", len(y))
	}
	// Output:
	// train 180 valid 20 classes 10
	// train batch 64 images, 196608 values
	// train batch 64 images, 196608 values
	// train batch 52 images, 159744 values
	// eval batch 20
}

func ExampleDataset_Subset() {
	d := data.Synthetic(data.SyntheticConfig{N: 100, H: 8, W: 8, C: 1, Classes: 10, Seed: 2})
	cats, err := d.Subset([]int{7, 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cats.N, cats.Classes, cats.ClassCounts())
	_, err = d.Subset([]int{3, 12})
	fmt.Println(err)
	// Output:
	// 20 [class7 class3] [10 10]
	// data: subset of "synthetic": classes[1] = 12: unknown class id, want [0, 10)
}

// Loader errors say which file, record and byte offset is wrong.
func ExampleCIFAR10() {
	dir, err := os.MkdirTemp("", "cifar")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	record := make([]byte, 3073) // label 0, a black image
	os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte("airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"), 0o644)
	for _, f := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"} {
		os.WriteFile(filepath.Join(dir, f), slices.Repeat(record, 2), 0o644)
	}
	train, test, err := data.CIFAR10(dir)
	fmt.Println(train.N, test.N, train.Classes[9], err)

	// Cut the last record of one file short.
	os.WriteFile(filepath.Join(dir, "data_batch_2.bin"), slices.Repeat(record, 2)[:3073+1000], 0o644)
	_, _, err = data.CIFAR10(dir)
	var fe *data.FileError
	if errors.As(err, &fe) {
		fmt.Println(filepath.Base(fe.File), fe.Record, fe.Offset, errors.Is(err, data.ErrTruncated))
	}
	// Output:
	// 10 2 truck <nil>
	// data_batch_2.bin 1 3073 true
}
