package data_test

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trgnas/trgnas/data"
)

// norm is the reference normalisation of one byte.
func norm(v uint8, m, s float32) float32 { return (float32(v)/255 - m) / s }

// collect returns all batches of an epoch, copied.
func collect(t *testing.T, b *data.Batcher, e int) (xs [][]float32, ys [][]int32) {
	t.Helper()
	for x, y := range b.Epoch(e) {
		xs = append(xs, slices.Clone(x))
		ys = append(ys, slices.Clone(y))
	}
	return xs, ys
}

// unique returns a dataset whose every image is its own class, so a label
// names the source image.
func unique(n, h, w, c int) *data.Dataset { return tagged(n, h, w, c, n, 11) }

func TestEvalBatches(t *testing.T) {
	d := tagged(10, 3, 2, 3, 4, 12)
	mean, std := []float32{0.5, 0.4, 0.3}, []float32{0.2, 0.25, 0.3}
	testEval(t, d, mean, std)
	d1 := tagged(10, 3, 2, 1, 4, 12)
	testEval(t, d1, mean[:1], std[:1])
	d2 := tagged(10, 3, 2, 2, 4, 12)
	testEval(t, d2, mean[:2], std[:2])
	// Nil constants: computed from the data.
	it, err := data.EvalBatches(d, 100, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, s := d.MeanStd()
	for x := range it {
		if want := norm(d.Images[4], m[1], s[1]); x[4] != want {
			t.Errorf("computed normalisation: %v, want %v", x[4], want)
		}
	}
}

func testEval(t *testing.T, d *data.Dataset, mean, std []float32) {
	c, sz := d.C, d.H*d.W*d.C
	it, err := data.EvalBatches(d, 4, mean, std)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	img := 0
	for x, y := range it {
		sizes = append(sizes, len(y))
		if len(x) != len(y)*sz {
			t.Fatalf("len(x) = %d for %d labels", len(x), len(y))
		}
		for j := range y {
			if y[j] != d.Labels[img] {
				t.Errorf("label %d: %d, want %d", img, y[j], d.Labels[img])
			}
			for k, v := range d.Image(img) {
				want := norm(v, mean[k%c], std[k%c])
				if got := x[j*sz+k]; math.Abs(float64(got-want)) > 1e-6 {
					t.Fatalf("image %d value %d: %v, want %v", img, k, got, want)
				}
			}
			img++
		}
	}
	if !slices.Equal(sizes, []int{4, 4, 2}) {
		t.Errorf("batch sizes %v, want [4 4 2]", sizes)
	}
}

func TestBatcherErrors(t *testing.T) {
	d := tagged(10, 2, 2, 3, 2, 1)
	empty := d.Take(0)
	bad := *d
	bad.Labels = bad.Labels[1:]
	tests := []struct {
		name string
		d    *data.Dataset
		b    int
		aug  data.Augment
		msg  string
	}{
		{"batch 0", d, 0, data.Augment{}, "batch = 0"},
		{"empty", empty, 4, data.Augment{}, "empty"},
		{"invalid", &bad, 4, data.Augment{}, "Labels"},
		{"crop", d, 4, data.Augment{CropPad: -1}, "CropPad"},
		{"cutout", d, 4, data.Augment{Cutout: -2}, "Cutout"},
		{"mean len", d, 4, data.Augment{Mean: []float32{0.5}, Std: []float32{1, 1, 1}}, "len(Mean) = 1"},
		{"std only", d, 4, data.Augment{Std: []float32{1, 1, 1}}, "len(Mean) = 0"},
		{"std 0", d, 4, data.Augment{Mean: []float32{0, 0, 0}, Std: []float32{1, 0, 1}}, "Std[1] = 0"},
		{"mean NaN", d, 4, data.Augment{Mean: []float32{0, float32(math.NaN()), 0}, Std: []float32{1, 1, 1}}, "Mean[1] = NaN"},
	}
	for _, tc := range tests {
		if _, err := data.NewBatcher(tc.d, tc.b, tc.aug, 1); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: NewBatcher = %v, want error %q", tc.name, err, tc.msg)
		}
	}
	if _, err := data.EvalBatches(d, -1, nil, nil); err == nil {
		t.Error("EvalBatches with batch -1 did not fail")
	}
}

func TestEpochPermutation(t *testing.T) {
	d := unique(203, 4, 4, 3)
	b, err := data.NewBatcher(d, 16, data.Augment{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if b.Batches() != 13 || b.Size() != 16 || b.Dataset() != d {
		t.Fatalf("Batches() = %d, Size() = %d", b.Batches(), b.Size())
	}
	mean, std := b.Norm()
	orders := map[int][]int32{}
	for e := range 3 {
		xs, ys := collect(t, b, e)
		if len(ys) != 13 || len(ys[12]) != 203-12*16 {
			t.Fatalf("epoch %d: %d batches, last of %d", e, len(ys), len(ys[len(ys)-1]))
		}
		var all []int32
		for k := range ys {
			for j, l := range ys[k] {
				for p, v := range d.Image(int(l)) { // no augmentation: exactly the normalised image
					if want := norm(v, mean[p%3], std[p%3]); xs[k][j*48+p] != want {
						t.Fatalf("epoch %d batch %d image %d: wrong pixels", e, k, j)
					}
				}
			}
			all = append(all, ys[k]...)
		}
		orders[e] = slices.Clone(all)
		slices.Sort(all)
		for i, l := range all {
			if int(l) != i {
				t.Fatalf("epoch %d is not a permutation", e)
			}
		}
	}
	if slices.Equal(orders[0], orders[1]) || slices.Equal(orders[1], orders[2]) {
		t.Error("epochs have the same order")
	}
	_, ys := collect(t, b, 1)
	if !slices.Equal(slices.Concat(ys...), orders[1]) {
		t.Error("epoch 1 replayed in another order")
	}
	b2, _ := data.NewBatcher(d, 16, data.Augment{}, 6)
	if _, ys := collect(t, b2, 1); slices.Equal(slices.Concat(ys...), orders[1]) {
		t.Error("another seed gave the same order")
	}
}

func TestEpochDeterministicAcrossWorkers(t *testing.T) {
	d := data.Synthetic(data.SyntheticConfig{N: 150, H: 12, W: 10, C: 3, Classes: 4, Seed: 3, Noise: 0.1})
	aug := data.Augment{CropPad: 3, Flip: true, Cutout: 6}
	b, err := data.NewBatcher(d, 32, aug, 77)
	if err != nil {
		t.Fatal(err)
	}
	refX, refY := collect(t, b.WithWorkers(1), 2)
	for _, w := range []int{0, 2, 3, 8} {
		x, y := collect(t, b.WithWorkers(w), 2)
		if !slices.EqualFunc(x, refX, slices.Equal) || !slices.EqualFunc(y, refY, slices.Equal) {
			t.Errorf("%d workers: batches differ from 1 worker", w)
		}
	}
	other, _ := collect(t, b, 3)
	if slices.EqualFunc(other, refX, slices.Equal) {
		t.Error("epoch 3 augmented like epoch 2")
	}
}

func TestEpochEarlyBreak(t *testing.T) {
	d := unique(500, 4, 4, 3)
	b, err := data.NewBatcher(d, 8, data.Augment{Flip: true}, 1)
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	for range 20 {
		k := 0
		for range b.WithWorkers(3).Epoch(0) {
			if k++; k == 3 {
				break
			}
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left after breaking out of epochs (had %d)", n, before)
	}
}

// transform is the reference augmentation of one image, written plainly:
// zero-pad, crop at offset (oy, ox), flip, normalise, zero a clipped square.
func transform(src []uint8, h, w, c, oy, ox int, flip bool, cy, cx, l int, mean, std []float32) []float32 {
	out := make([]float32, h*w*c)
	for y := range h {
		for x := range w {
			xx := x
			if flip {
				xx = w - 1 - x
			}
			sy, sx := y+oy, xx+ox
			for ch := range c {
				var v uint8 // zero padding, before normalisation
				if sy >= 0 && sy < h && sx >= 0 && sx < w {
					v = src[(sy*w+sx)*c+ch]
				}
				out[(y*w+x)*c+ch] = norm(v, mean[ch], std[ch])
			}
		}
	}
	if l > 0 {
		for y := max(cy-l/2, 0); y < min(cy+l/2, h); y++ {
			for x := max(cx-l/2, 0); x < min(cx+l/2, w); x++ {
				for ch := range c {
					out[(y*w+x)*c+ch] = 0
				}
			}
		}
	}
	return out
}

// match finds the crop offset and flip that explain out, with the given
// Cutout side (the centre is searched too); ok is false when none does.
func match(out []float32, src []uint8, h, w, c, pad, l int, flips []bool, mean, std []float32) (oy, ox int, flip bool, ok bool) {
	cys, cxs := []int{0}, []int{0}
	if l > 0 {
		cys, cxs = make([]int, h), make([]int, w)
		for i := range cys {
			cys[i] = i
		}
		for i := range cxs {
			cxs[i] = i
		}
	}
	for _, f := range flips {
		for oy := -pad; oy <= pad; oy++ {
			for ox := -pad; ox <= pad; ox++ {
				for _, cy := range cys {
					for _, cx := range cxs {
						if slices.Equal(out, transform(src, h, w, c, oy, ox, f, cy, cx, l, mean, std)) {
							return oy, ox, f, true
						}
					}
				}
			}
		}
	}
	return 0, 0, false, false
}

func TestAugment(t *testing.T) {
	for _, c := range []int{3, 1, 2} {
		t.Run(fmt.Sprintf("C=%d", c), func(t *testing.T) { testAugment(t, c) })
	}
}

func testAugment(t *testing.T, c int) {
	const h, w = 8, 7
	d := unique(400, h, w, c)
	m3, s3 := data.CIFAR10Norm()
	mean, std := m3[:c], s3[:c]
	tests := []struct {
		name  string
		aug   data.Augment
		flips []bool
	}{
		{"none", data.Augment{}, []bool{false}},
		{"flip", data.Augment{Flip: true}, []bool{false, true}},
		{"crop", data.Augment{CropPad: 2}, []bool{false}},
		{"cutout", data.Augment{Cutout: 4}, []bool{false}},
		{"all", data.Augment{CropPad: 2, Flip: true, Cutout: 4}, []bool{false, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.aug.Mean, tc.aug.Std = mean, std
			b, err := data.NewBatcher(d, 64, tc.aug, 9)
			if err != nil {
				t.Fatal(err)
			}
			offsets := map[[2]int]int{}
			flipped := 0
			xs, ys := collect(t, b, 0)
			for k := range ys {
				for j, l := range ys[k] {
					out := xs[k][j*h*w*c : (j+1)*h*w*c]
					oy, ox, f, ok := match(out, d.Image(int(l)), h, w, c, tc.aug.CropPad, tc.aug.Cutout, tc.flips, mean, std)
					if !ok {
						t.Fatalf("image %d: output explained by no crop/flip/cutout of its source", l)
					}
					offsets[[2]int{oy, ox}]++
					if f {
						flipped++
					}
				}
			}
			if p := tc.aug.CropPad; p > 0 && len(offsets) != (2*p+1)*(2*p+1) {
				t.Errorf("%d distinct crop offsets in 400 images, want all %d", len(offsets), (2*p+1)*(2*p+1))
			}
			if tc.aug.Flip && (flipped < 150 || flipped > 250) {
				t.Errorf("%d of 400 images flipped, want about half", flipped)
			}
		})
	}
}

func TestCutoutZeroes(t *testing.T) {
	// With a single-colour image, the zeroed square is visible as zeros;
	// its size is 16x16 when inside, smaller when clipped, never empty.
	d := &data.Dataset{N: 300, H: 32, W: 32, C: 3, Images: make([]uint8, 300*32*32*3), Labels: make([]int32, 300), Classes: []string{"a"}}
	for i := range d.Images {
		d.Images[i] = 200
	}
	b, err := data.NewBatcher(d, 50, data.Augment{Cutout: 16, Mean: []float32{0.1, 0.2, 0.3}, Std: []float32{1, 1, 1}}, 4)
	if err != nil {
		t.Fatal(err)
	}
	full, clipped := 0, 0
	for x := range b.Epoch(0) {
		for j := range len(x) / 3072 {
			zeros := 0
			for _, v := range x[j*3072 : (j+1)*3072] {
				if v == 0 {
					zeros++
				}
			}
			switch {
			case zeros == 16*16*3:
				full++
			case zeros > 0 && zeros < 16*16*3 && zeros%3 == 0:
				clipped++
			default:
				t.Fatalf("image with %d zero values", zeros)
			}
		}
	}
	// A centre in [8, 24] in both axes (17*17 of 1024) gives a full square.
	if full < 40 || clipped < 150 {
		t.Errorf("%d full and %d clipped squares of 300", full, clipped)
	}
}
