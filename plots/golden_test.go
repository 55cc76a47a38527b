package plots_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/plots"
)

var update = flag.Bool("update", false, "rewrite testdata/*_golden.png from the current output")

// readLedger reads a JSON-lines fixture of nas.Record.
func readLedger(t testing.TB, name string) []nas.Record {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []nas.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for ln := 1; sc.Scan(); ln++ {
		var r nas.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d: %v", name, ln, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

// checkGolden renders p as PNG and compares it pixel by pixel with
// testdata/<name>_golden.png; with -update it rewrites the file.
func checkGolden(t *testing.T, name string, p *plot.Plot, w, h vg.Length) {
	t.Helper()
	got, err := plots.PNG(p, w, h)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+"_golden.png")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	if diff, err := pixelDiff(got, want); err != nil || diff > 0 {
		out := filepath.Join(t.TempDir(), name+"_got.png")
		_ = os.WriteFile(out, got, 0o644)
		t.Errorf("%s differs from %s (%d pixels, err %v); got written to %s", name, path, diff, err, out)
	}
}

// pixelDiff counts the pixels that differ between two PNG images.
func pixelDiff(a, b []byte) (int, error) {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return 0, err
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	if ia.Bounds() != ib.Bounds() {
		return 0, fmt.Errorf("size %v, golden %v", ia.Bounds(), ib.Bounds())
	}
	n := 0
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if !sameColor(ia, ib, x, y) {
				n++
			}
		}
	}
	return n, nil
}

func sameColor(a, b image.Image, x, y int) bool {
	r1, g1, b1, a1 := a.At(x, y).RGBA()
	r2, g2, b2, a2 := b.At(x, y).RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2 && a1 == a2
}
