package data_test

import (
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
)

// heapAllocs returns the bytes allocated on the heap so far.
func heapAllocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// checkFileError checks that err is a *FileError naming one of files and
// wrapping one of the format sentinels.
func checkFileError(t *testing.T, err error, files ...string) {
	t.Helper()
	var fe *data.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *data.FileError", err, err)
	}
	named := false
	for _, f := range files {
		named = named || (fe.File == f && strings.Contains(err.Error(), f))
	}
	if !named {
		t.Fatalf("error %q names %q, want one of %q", err, fe.File, files)
	}
	if !errors.Is(err, data.ErrFormat) && !errors.Is(err, data.ErrTruncated) && !errors.Is(err, data.ErrLabel) {
		t.Fatalf("error %q wraps none of ErrFormat, ErrTruncated, ErrLabel", err)
	}
}

// realIDX returns two seeds cut from the real Fashion-MNIST file base:
// a valid idx file of its first k records (the count rewritten to k) and
// the first 4 KB of the gzipped file as installed. Both are nil when the
// files are not installed.
func realIDX(t testing.TB, base string, ndims, k int) (valid, gzHead []byte) {
	f, err := os.Open(filepath.Join(data.FashionMNISTDir, base+".gz"))
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	gzHead = make([]byte, 4096)
	if _, err := io.ReadFull(f, gzHead); err != nil {
		t.Fatal(err)
	}
	f.Seek(0, io.SeekStart)
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rec := 1
	if ndims == 3 {
		rec = 28 * 28
	}
	valid = make([]byte, 4+4*ndims+k*rec)
	if _, err := io.ReadFull(zr, valid); err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint32(valid[4:], uint32(k))
	return valid, gzHead
}

// FuzzIDX feeds an images and a labels idx file, both gzipped or both
// plain, to the MNIST reader: it must return an error naming the file or a
// consistent dataset, never panic, and never allocate much more than the
// input can hold.
func FuzzIDX(f *testing.F) {
	img := make([]byte, 5*6)
	for i := range img {
		img[i] = byte(i)
	}
	images := idx([]int{5, 3, 2}, img)
	labels := idx([]int{5}, []byte{0, 1, 2, 9, 4})
	add := func(im, lb []byte) {
		f.Add(im, lb, false)
		f.Add(gz(im), gz(lb), true)
	}
	valid := func(im, lb []byte) {
		f.Helper()
		for _, zip := range []bool{false, true} {
			a, b := im, lb
			if zip {
				a, b = gz(im), gz(lb)
			}
			if d, err := data.ParseMNISTBytes("images.idx", a, "labels.idx", b, zip); err != nil || d.N != 3 && d.N != 5 {
				f.Fatalf("valid seed (gzip %v): %v", zip, err)
			}
		}
		add(im, lb)
	}
	valid(images, labels)
	// Real bytes: the first images of Fashion-MNIST, as valid files, and
	// the installed gzip files cut after 4 KB.
	if rim, rimGz := realIDX(f, "train-images-idx3-ubyte", 3, 3); rim != nil {
		rlb, rlbGz := realIDX(f, "train-labels-idx1-ubyte", 1, 3)
		valid(rim, rlb)
		f.Add(rimGz, rlbGz, true)
		whole := append([]byte(nil), rim...)
		binary.BigEndian.PutUint32(whole[4:], 60000)
		f.Add(whole, rlb, false) // header of the real file, body cut short
	}
	// Truncated: inside a record, inside the header, empty.
	add(images[:len(images)-3], labels)
	add(images, labels[:10])
	add(images[:7], labels)
	add(nil, labels)
	whole := gz(images)
	f.Add(whole[:len(whole)-5], gz(labels), true) // cut inside the gzip trailer
	// Wrong magic: another type, another rank, labels given as images.
	add(append([]byte{0, 0, 9, 3}, images[4:]...), labels)
	add(images, append([]byte{0, 0, 8, 3}, labels[4:]...))
	add(labels, images)
	// Dimensions that overflow or claim far more than the file holds.
	add(idx([]int{1 << 31, 1 << 16, 1 << 16}, nil), labels)
	add(idx([]int{1, 1 << 16, 1 << 16}, nil), idx([]int{1}, []byte{3}))
	add(idx([]int{1 << 28, 8, 8}, img), labels)
	add(idx([]int{0xffffffff, 0xffffffff, 0xffffffff}, nil), labels)
	add(images, idx([]int{1 << 28}, nil))
	add(idx([]int{5, 0, 2}, nil), labels)
	// Header only, trailing bytes, counts that disagree, bad labels.
	add(idx([]int{5, 3, 2}, nil), idx([]int{5}, nil))
	add(append(append([]byte(nil), images...), 7), labels)
	add(images, idx([]int{4}, []byte{0, 1, 2, 3}))
	add(images, idx([]int{5}, []byte{0, 1, 10, 3, 255}))
	f.Fuzz(func(t *testing.T, images, labels []byte, gzipped bool) {
		before := heapAllocs()
		d, err := data.ParseMNISTBytes("images.idx", images, "labels.idx", labels, gzipped)
		alloc := heapAllocs() - before
		// A gzip stream expands at most 1032 times; the reader's buffer
		// at most doubles what arrived.
		limit := uint64(8<<20 + 4*(len(images)+len(labels)))
		if gzipped {
			limit += 3 * 1032 * uint64(len(images)+len(labels))
		}
		if alloc > limit {
			t.Fatalf("%d bytes allocated for %d+%d bytes of input (gzip %v): %v", alloc, len(images), len(labels), gzipped, err)
		}
		if err != nil {
			if d != nil {
				t.Fatal("a dataset returned with an error")
			}
			checkFileError(t, err, "images.idx", "labels.idx")
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatal(err)
		}
		if d.N != len(d.Labels) || len(d.Images) != d.N*d.H*d.W || d.C != 1 || len(d.Classes) != 10 {
			t.Fatalf("inconsistent dataset: %v, %d images bytes, %d labels", d, len(d.Images), len(d.Labels))
		}
		if !gzipped && len(images) != 16+len(d.Images) {
			t.Fatalf("%d image bytes read from a %d-byte file", len(d.Images), len(images))
		}
	})
}

// TestIDXHugeClaims checks that a header claiming gigabytes is refused
// before they are allocated, with an error naming the file and the field.
func TestIDXHugeClaims(t *testing.T) {
	for _, tc := range []struct {
		name string
		dims []int
		is   error
		msg  string
	}{
		{"4 GiB image", []int{1, 1 << 16, 1 << 16}, data.ErrTruncated, "file ends after 100 of the 4294967296 bytes of 1 records of 4294967296 bytes"},
		{"16 GiB of images", []int{1 << 28, 8, 8}, data.ErrTruncated, "bytes of 268435456 records of 64 bytes"},
		{"2^31 images", []int{1 << 31, 1 << 16, 1 << 16}, data.ErrFormat, "offset 4: bad format: dimension 0 (count) = 2147483648 is not plausible"},
		{"overflowing columns", []int{1 << 10, 1 << 12, 1 << 14}, data.ErrFormat, "offset 12: bad format: dimension 2 (columns) = 16384 is not plausible"},
	} {
		for _, zip := range []bool{false, true} {
			b := idx(tc.dims, make([]byte, 100))
			if zip {
				b = gz(b)
			}
			before := heapAllocs()
			_, _, err := data.ParseIDXBytes("huge-idx3-ubyte", b, zip, 3)
			if alloc := heapAllocs() - before; alloc > 4<<20 {
				t.Errorf("%s (gzip %v): %d bytes allocated for a %d-byte file", tc.name, zip, alloc, len(b))
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), "huge-idx3-ubyte") || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%s (gzip %v): error %v, want %v naming the file and containing %q", tc.name, zip, err, tc.is, tc.msg)
			}
		}
	}
}

// FuzzCIFAR feeds a CIFAR-10 record file and a class names file to their
// parsers: an error naming the file or a consistent dataset, never a panic.
func FuzzCIFAR(f *testing.F) {
	files := cifarFiles(2, 1)
	batch, meta := files["data_batch_1.bin"], files["batches.meta.txt"]
	if d, err := data.ParseCIFARBytes("data_batch_1.bin", batch, cifarClasses); err != nil || d.N != 2 {
		f.Fatalf("valid seed: %v", err)
	}
	f.Add(batch, meta)
	f.Add(batch[:3073], []byte(strings.Join(cifarClasses, "\r\n")))
	f.Add(batch[:len(batch)-1], meta)               // truncated record
	f.Add(batch[:1], meta)                          // a label byte only
	f.Add(append(batch[:3073:3073], 0, 1), meta)    // trailing bytes
	f.Add([]byte{}, meta)                           // empty
	f.Add(cifarRecord(10, 3), []byte("cat\ndog\n")) // bad label, short names
	f.Add(cifarRecord(255, 0), append(meta, "extra\n"...))
	f.Add(batch[:3073], []byte{})
	f.Fuzz(func(t *testing.T, batch, meta []byte) {
		if classes, err := data.ParseCIFARMetaBytes("batches.meta.txt", meta); err != nil {
			checkFileError(t, err, "batches.meta.txt")
		} else if len(classes) != 10 {
			t.Fatalf("%d class names", len(classes))
		} else {
			for _, c := range classes {
				if c == "" || strings.TrimSpace(c) != c {
					t.Fatalf("class name %q", c)
				}
			}
		}
		check := func(batch []byte) {
			before := heapAllocs()
			d, err := data.ParseCIFARBytes("data_batch_1.bin", batch, cifarClasses)
			if alloc := heapAllocs() - before; alloc > uint64(1<<20+2*len(batch)) {
				t.Fatalf("%d bytes allocated for %d bytes of input", alloc, len(batch))
			}
			if err != nil {
				if d != nil {
					t.Fatal("a dataset returned with an error")
				}
				checkFileError(t, err, "data_batch_1.bin")
				return
			}
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
			if d.N*3073 != len(batch) || d.N == 0 {
				t.Fatalf("%d records read from %d bytes", d.N, len(batch))
			}
			last := d.N - 1
			img, rec := d.Image(last), batch[last*3073:]
			if d.Labels[last] != int32(rec[0]) || img[0] != rec[1] || img[1] != rec[1025] || img[3071] != rec[3072] {
				t.Fatalf("record %d not read as HWC", last)
			}
		}
		check(batch)
		// Mutations rarely keep the size a whole number of records: the
		// records in front are read too.
		if n := len(batch) / 3073 * 3073; n > 0 && n < len(batch) {
			check(batch[:n])
		}
	})
}
