package data

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The official CIFAR-10 binary layout: each record is one label byte and
// the 32x32 red, green and blue planes.
const (
	cifarRecord = 1 + 3*32*32            // bytes of one record
	cifarSubdir = "cifar-10-batches-bin" // the directory inside the archive
	cifarMeta   = "batches.meta.txt"     // class names, one a line
	cifarTest   = "test_batch.bin"       // test records
)

// cifarTrain returns the names of the training files.
func cifarTrain() []string {
	return []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
}

// CIFAR10 reads the CIFAR-10 training set (data_batch_1.bin to
// data_batch_5.bin, 50,000 images in the official files) and test set
// (test_batch.bin, 10,000) from dir, with the class names of
// batches.meta.txt. dir may also be the parent of cifar-10-batches-bin.
// Each record (1 label byte, then the R, G and B planes of a 32x32 image)
// becomes one 32x32x3 NHWC image. A file whose size is not a whole number
// of records, an empty file or a label above 9 is an error naming the file,
// the record and its offset.
func CIFAR10(dir string) (train, test *Dataset, err error) {
	return bothParts(cifarPart, dir)
}

// cifarPart reads the CIFAR-10 training set, or the test set when test is
// set.
func cifarPart(dir string, test bool) (*Dataset, error) {
	dir = cifarDir(dir)
	classes, err := readCIFARMeta(filepath.Join(dir, cifarMeta))
	if err != nil {
		return nil, err
	}
	if test {
		return readCIFARFiles(dir, []string{cifarTest}, "cifar10-test", classes)
	}
	return readCIFARFiles(dir, cifarTrain(), "cifar10-train", classes)
}

// cifarDir returns dir, or dir/cifar-10-batches-bin when dir is its parent.
func cifarDir(dir string) string {
	if _, err := os.Stat(filepath.Join(dir, cifarTest)); err != nil {
		sub := filepath.Join(dir, cifarSubdir)
		if _, err := os.Stat(filepath.Join(sub, cifarTest)); err == nil {
			return sub
		}
	}
	return dir
}

// notFound wraps a missing-file error.
func notFound(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		err = fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return &FileError{File: path, Record: -1, Offset: -1, Err: err}
}

// readCIFARMeta reads the ten class names, one a line (blank lines ignored).
func readCIFARMeta(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, notFound(path, err)
	}
	return parseCIFARMeta(path, b)
}

// parseCIFARMeta parses the content b of the class names file path.
func parseCIFARMeta(path string, b []byte) ([]string, error) {
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			names = append(names, s)
		}
	}
	if len(names) != 10 {
		return nil, &FileError{File: path, Record: -1, Offset: -1, Err: fmt.Errorf("%w: %d class names, want 10", ErrFormat, len(names))}
	}
	return names, nil
}

// checkCIFARFile checks a record file's size without reading it.
func checkCIFARFile(path string) (records int, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, notFound(path, err)
	}
	return cifarRecords(path, st.Size())
}

// cifarRecords returns the number of records in a file of size bytes.
func cifarRecords(path string, size int64) (int, error) {
	if size == 0 {
		return 0, &FileError{File: path, Record: -1, Offset: 0, Err: fmt.Errorf("%w: empty file", ErrFormat)}
	}
	if r := size % cifarRecord; r != 0 {
		n := size / cifarRecord
		return 0, &FileError{File: path, Record: int(n), Offset: n * cifarRecord,
			Err: fmt.Errorf("%w: file size %d is not a multiple of the %d-byte record: the last record has %d bytes", ErrTruncated, size, cifarRecord, r)}
	}
	return int(size / cifarRecord), nil
}

// readCIFARFiles reads and concatenates record files.
func readCIFARFiles(dir string, files []string, name string, classes []string) (*Dataset, error) {
	total := 0
	for _, f := range files {
		n, err := checkCIFARFile(filepath.Join(dir, f))
		if err != nil {
			return nil, err
		}
		total += n
	}
	d := &Dataset{Name: name, H: 32, W: 32, C: 3, Classes: classes,
		Images: make([]uint8, 0, total*3072), Labels: make([]int32, 0, total)}
	for _, f := range files {
		path := filepath.Join(dir, f)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, notFound(path, err)
		}
		n, err := cifarRecords(path, int64(len(b)))
		if err != nil {
			return nil, err
		}
		if len(d.Labels)+n > total {
			return nil, &FileError{File: path, Record: -1, Offset: -1, Err: fmt.Errorf("%w: file grew while being read", ErrFormat)}
		}
		if err := parseCIFAR(path, b, d); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// parseCIFAR appends the records of b, the content of the record file
// path, to d, turning each image from CHW to HWC.
func parseCIFAR(path string, b []byte, d *Dataset) error {
	n, err := cifarRecords(path, int64(len(b)))
	if err != nil {
		return err
	}
	d.Images = slices.Grow(d.Images, n*3072)
	d.Labels = slices.Grow(d.Labels, n)
	for i := range n {
		rec := b[i*cifarRecord : (i+1)*cifarRecord]
		if rec[0] > 9 {
			return &FileError{File: path, Record: i, Offset: int64(i) * cifarRecord, Err: fmt.Errorf("%w: label %d, want 0..9", ErrLabel, rec[0])}
		}
		d.Labels = append(d.Labels, int32(rec[0]))
		r, g, bl := rec[1:1025], rec[1025:2049], rec[2049:3073]
		img := d.Images[len(d.Images) : len(d.Images)+3072]
		for p := range 1024 {
			img[3*p], img[3*p+1], img[3*p+2] = r[p], g[p], bl[p]
		}
		d.Images = d.Images[:len(d.Images)+3072]
	}
	d.N = len(d.Labels)
	return nil
}

// checkCIFARDir reports whether dir holds a complete CIFAR-10 copy: the
// class names and every record file, each a whole number of records.
func checkCIFARDir(dir string) error {
	if _, err := readCIFARMeta(filepath.Join(dir, cifarMeta)); err != nil {
		return err
	}
	for _, f := range append(cifarTrain(), cifarTest) {
		if _, err := checkCIFARFile(filepath.Join(dir, f)); err != nil {
			return err
		}
	}
	return nil
}
