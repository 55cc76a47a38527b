package data_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
)

func TestFashionMNISTGeneratedFiles(t *testing.T) {
	dir := writeMNIST(t, 25, 7, true, nil)
	for _, load := range []func() (*data.Dataset, *data.Dataset, error){
		func() (*data.Dataset, *data.Dataset, error) { return data.FashionMNIST(dir) },
		func() (*data.Dataset, *data.Dataset, error) { return data.Load("fashion-mnist:" + dir) },
	} {
		train, test, err := load()
		if err != nil {
			t.Fatal(err)
		}
		if train.N != 25 || test.N != 7 || train.Name != "fashion-mnist-train" || test.Name != "fashion-mnist-test" {
			t.Fatalf("got %v and %v", train, test)
		}
		if train.Classes[0] != "T-shirt/top" || test.Classes[9] != "Ankle boot" || len(train.Classes) != 10 {
			t.Errorf("classes %q", train.Classes)
		}
		if err := train.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	// The same bytes as MNIST give the same fingerprint: the name tells the
	// datasets apart in ledgers, not the content.
	mtrain, _, err := data.MNIST(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mtrain.Name == "fashion-mnist-train" {
		t.Error("MNIST read as fashion-mnist")
	}
}

func TestFashionMNISTMissingNamesPackage(t *testing.T) {
	dir := writeMNIST(t, 5, 2, true, map[string][]byte{"t10k-images-idx3-ubyte.gz": nil})
	_, _, err := data.FashionMNIST(dir)
	if !errors.Is(err, data.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	for _, want := range []string{"t10k-images-idx3-ubyte", data.FashionMNISTPackage, "apt-get install"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// A corrupt file is a format error, not a missing package.
	bad := writeMNIST(t, 5, 2, true, map[string][]byte{"train-labels-idx1-ubyte.gz": []byte("not gzip")})
	_, _, err = data.FashionMNIST(bad)
	if !errors.Is(err, data.ErrFormat) || strings.Contains(err.Error(), "apt-get") {
		t.Errorf("corrupt file: %v", err)
	}
}

// TestFashionMNISTInstalled checks the real files when Debian's package is
// installed (the setup script installs it).
func TestFashionMNISTInstalled(t *testing.T) {
	if _, err := os.Stat(filepath.Join(data.FashionMNISTDir, "train-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("%s not installed: %v", data.FashionMNISTPackage, err)
	}
	train, test, err := data.FashionMNIST("")
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 60000 || test.N != 10000 || train.H != 28 || train.W != 28 || train.C != 1 {
		t.Fatalf("got %v and %v", train, test)
	}
	for c, n := range train.ClassCounts() {
		if n != 6000 {
			t.Errorf("class %d (%s): %d training images, want 6000", c, train.Classes[c], n)
		}
	}
	for c, n := range test.ClassCounts() {
		if n != 1000 {
			t.Errorf("class %d: %d test images, want 1000", c, n)
		}
	}
	// Not MNIST read by mistake: the two differ in content.
	if mtrain, _, err := data.MNIST(""); err == nil && mtrain.Fingerprint() == train.Fingerprint() {
		t.Errorf("Fashion-MNIST has MNIST's fingerprint %s", train.Fingerprint())
	}
}
