package data_test

import (
	"fmt"

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
