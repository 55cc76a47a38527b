package data_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
)

var cifarClasses = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// cifarRecord encodes image (label, k): pixel p of channel c is byte
// (k + 7*c + p) % 256.
func cifarRecord(label byte, k int) []byte {
	rec := make([]byte, 3073)
	rec[0] = label
	for c := range 3 {
		for p := range 1024 {
			rec[1+c*1024+p] = byte(k + 7*c + p)
		}
	}
	return rec
}

// cifarFiles returns the files of a tiny CIFAR-10 directory: n records in
// each training file and m in the test file; record j of file f is image
// k = 100*f + j with label k % 10.
func cifarFiles(n, m int) map[string][]byte {
	files := map[string][]byte{
		"batches.meta.txt": []byte(strings.Join(cifarClasses, "\n") + "\n\n"),
	}
	for f := 1; f <= 6; f++ {
		name, count := "data_batch_"+string(rune('0'+f))+".bin", n
		if f == 6 {
			name, count = "test_batch.bin", m
		}
		var b []byte
		for j := range count {
			k := 100*f + j
			b = append(b, cifarRecord(byte(k%10), k)...)
		}
		files[name] = b
	}
	return files
}

// writeFiles writes files into dir; a nil content is skipped.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		if b == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCIFAR10TinyFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, cifarFiles(3, 4))
	train, test, err := data.CIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 15 || test.N != 4 || train.H != 32 || train.W != 32 || train.C != 3 {
		t.Fatalf("train %d test %d", train.N, test.N)
	}
	if train.Name != "cifar10-train" || test.Name != "cifar10-test" || strings.Join(train.Classes, ",") != strings.Join(cifarClasses, ",") {
		t.Errorf("names %q %q classes %v", train.Name, test.Name, train.Classes)
	}
	check := func(d *data.Dataset, i, k int) {
		t.Helper()
		if d.Labels[i] != int32(k%10) {
			t.Errorf("%s[%d]: label %d, want %d", d.Name, i, d.Labels[i], k%10)
		}
		img := d.Image(i)
		for y := range 32 {
			for x := range 32 {
				for c := range 3 {
					p := y*32 + x
					if got, want := img[(y*32+x)*3+c], byte(k+7*c+p); got != want {
						t.Fatalf("%s[%d] pixel (%d,%d,%d) = %d, want %d (CHW to HWC)", d.Name, i, y, x, c, got, want)
					}
				}
			}
		}
	}
	check(train, 0, 100)
	check(train, 4, 201)  // second file, second record
	check(train, 14, 502) // last file, last record
	check(test, 3, 603)
	// The parent of cifar-10-batches-bin is accepted too.
	parent := t.TempDir()
	os.Mkdir(filepath.Join(parent, "cifar-10-batches-bin"), 0o755)
	writeFiles(t, filepath.Join(parent, "cifar-10-batches-bin"), cifarFiles(1, 1))
	if tr, _, err := data.CIFAR10(parent); err != nil || tr.N != 5 {
		t.Errorf("parent directory: %v", err)
	}
}

func TestCIFAR10Corrupt(t *testing.T) {
	good := cifarFiles(3, 4)
	badLabel := append([]byte(nil), good["data_batch_3.bin"]...)
	badLabel[2*3073] = 10
	tests := []struct {
		name string
		file string
		data []byte // nil: the file is missing
		is   error
		msg  string
	}{
		{"missing train file", "data_batch_4.bin", nil, data.ErrNotFound, "data_batch_4.bin"},
		{"missing test file", "test_batch.bin", nil, data.ErrNotFound, "test_batch.bin"},
		{"missing meta", "batches.meta.txt", nil, data.ErrNotFound, "batches.meta.txt"},
		{"short meta", "batches.meta.txt", []byte("cat\ndog\n"), data.ErrFormat, "2 class names, want 10"},
		{"truncated record", "data_batch_2.bin", good["data_batch_2.bin"][:2*3073+100], data.ErrTruncated, "data_batch_2.bin: record 2 (offset 6146)"},
		{"extra bytes", "test_batch.bin", append(append([]byte(nil), good["test_batch.bin"]...), 1, 2), data.ErrTruncated, "file size 12294 is not a multiple"},
		{"empty file", "data_batch_1.bin", []byte{}, data.ErrFormat, "empty file"},
		{"label out of range", "data_batch_3.bin", badLabel, data.ErrLabel, "data_batch_3.bin: record 2 (offset 6146): label out of range: label 10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := cifarFiles(3, 4)
			files[tc.file] = tc.data
			writeFiles(t, dir, files)
			train, test, err := data.CIFAR10(dir)
			if err == nil {
				t.Fatal("no error")
			}
			if train != nil || test != nil {
				t.Error("a dataset returned with an error")
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want %v containing %q", err, tc.is, tc.msg)
			}
		})
	}
}
