package data_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/data"
)

// tagged returns a dataset of n random h x w x c images whose label is
// i % classes; image i starts with the bytes of i (so it can be traced).
func tagged(n, h, w, c, classes int, seed uint64) *data.Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := &data.Dataset{Name: "tagged", N: n, H: h, W: w, C: c,
		Images: make([]uint8, n*h*w*c), Labels: make([]int32, n)}
	for i := range d.Images {
		d.Images[i] = uint8(rng.IntN(256))
	}
	for i := range n {
		img := d.Image(i)
		img[0], img[1] = uint8(i), uint8(i>>8)
		d.Labels[i] = int32(i % classes)
	}
	for k := range classes {
		d.Classes = append(d.Classes, fmt.Sprintf("c%d", k))
	}
	return d
}

// tag returns the index stored in an image by tagged.
func tag(img []uint8) int { return int(img[0]) | int(img[1])<<8 }

func TestValidate(t *testing.T) {
	good := func() *data.Dataset { return tagged(6, 2, 3, 2, 3, 1) }
	tests := []struct {
		name  string
		edit  func(d *data.Dataset)
		field string // "" = valid
	}{
		{"ok", func(d *data.Dataset) {}, ""},
		{"negative N", func(d *data.Dataset) { d.N = -1 }, "N"},
		{"zero H", func(d *data.Dataset) { d.H = 0 }, "H, W, C"},
		{"no classes", func(d *data.Dataset) { d.Classes = nil }, "Classes"},
		{"short images", func(d *data.Dataset) { d.Images = d.Images[1:] }, "Images"},
		{"short labels", func(d *data.Dataset) { d.Labels = d.Labels[1:] }, "Labels"},
		{"label too big", func(d *data.Dataset) { d.Labels[4] = 3 }, "Labels[4] = 3"},
		{"negative label", func(d *data.Dataset) { d.Labels[2] = -1 }, "Labels[2] = -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := good()
			tc.edit(d)
			err := d.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Validate() = %v, want an error naming %q", err, tc.field)
			}
		})
	}
	var nilDS *data.Dataset
	if nilDS.Validate() == nil {
		t.Error("nil dataset validated")
	}
	d := good()
	d.Labels[0] = 7
	if err := d.Validate(); !errors.Is(err, data.ErrLabel) {
		t.Errorf("Validate() = %v, want ErrLabel", err)
	}
}

func TestImage(t *testing.T) {
	d := tagged(5, 2, 2, 3, 2, 2)
	for i := range 5 {
		img := d.Image(i)
		if len(img) != 12 || tag(img) != i || &img[0] != &d.Images[i*12] {
			t.Fatalf("Image(%d) wrong", i)
		}
	}
	if d.Image(-1) != nil || d.Image(5) != nil {
		t.Error("Image out of range not nil")
	}
}

func TestSubset(t *testing.T) {
	d := tagged(30, 2, 2, 1, 5, 3)
	s, err := d.Subset([]int{3, 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Classes, []string{"c3", "c0"}) {
		t.Errorf("classes %v", s.Classes)
	}
	if s.N != 12 {
		t.Fatalf("N = %d, want 12", s.N)
	}
	prev := -1
	for j := range s.N {
		i := tag(s.Image(j))
		if i <= prev {
			t.Errorf("order not kept: %d after %d", i, prev)
		}
		prev = i
		want := map[int32]int32{3: 0, 0: 1}[d.Labels[i]]
		if s.Labels[j] != want || (d.Labels[i] != 3 && d.Labels[i] != 0) {
			t.Errorf("image %d: label %d -> %d, want %d", i, d.Labels[i], s.Labels[j], want)
		}
	}
	bad := []struct {
		classes []int
		msg     string
	}{
		{nil, "empty class list"},
		{[]int{}, "empty class list"},
		{[]int{1, 5}, "classes[1] = 5: unknown class id"},
		{[]int{-1}, "classes[0] = -1: unknown class id"},
		{[]int{2, 2}, "classes[1] = 2: repeated"},
	}
	for _, tc := range bad {
		if _, err := d.Subset(tc.classes); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("Subset(%v) = %v, want error %q", tc.classes, err, tc.msg)
		}
	}
	few := tagged(3, 1, 2, 1, 5, 4) // classes 3 and 4 have no images
	if _, err := few.Subset([]int{3, 4}); err == nil || !strings.Contains(err.Error(), "hold no images") {
		t.Errorf("Subset of empty classes = %v", err)
	}
}

func TestTake(t *testing.T) {
	d := tagged(10, 2, 2, 2, 3, 5)
	for _, tc := range []struct{ n, want int }{{0, 0}, {-3, 0}, {4, 4}, {10, 10}, {99, 10}} {
		s := d.Take(tc.n)
		if s.N != tc.want || len(s.Labels) != tc.want || len(s.Images) != tc.want*8 {
			t.Errorf("Take(%d): N=%d", tc.n, s.N)
		}
		if err := s.Validate(); err != nil {
			t.Errorf("Take(%d): %v", tc.n, err)
		}
		for i := range s.N {
			if tag(s.Image(i)) != i {
				t.Errorf("Take(%d): image %d is %d", tc.n, i, tag(s.Image(i)))
			}
		}
	}
	// Appending to a taken set must not overwrite the original.
	s := d.Take(3)
	_ = append(s.Labels, 2)
	if d.Labels[3] != 0 {
		t.Error("append to Take result clobbered the original")
	}
}

func TestSplit(t *testing.T) {
	d := tagged(1000, 2, 2, 1, 10, 6)
	// Unbalanced: drop some of class 9.
	d, _ = d.Subset([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	tr, va, err := d.Split(0.1, 42)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*data.Dataset{tr, va} {
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	if va.N != 100 || tr.N != 900 {
		t.Errorf("sizes %d/%d, want 900/100", tr.N, va.N)
	}
	for k, c := range va.ClassCounts() {
		if c != 10 {
			t.Errorf("class %d: %d valid images, want 10 (stratified)", k, c)
		}
	}
	seen := map[int]int{}
	for _, s := range []*data.Dataset{tr, va} {
		prev := -1
		for j := range s.N {
			i := tag(s.Image(j))
			if i <= prev {
				t.Fatalf("%s: order not kept", s.Name)
			}
			prev = i
			seen[i]++
			if !slices.Equal(s.Image(j), d.Image(i)) || s.Labels[j] != d.Labels[i] {
				t.Fatalf("%s: image %d differs from the original", s.Name, i)
			}
		}
	}
	if len(seen) != 1000 {
		t.Errorf("train+valid cover %d images, want 1000 disjoint", len(seen))
	}
	tr2, va2, _ := d.Split(0.1, 42)
	if tr2.Fingerprint() != tr.Fingerprint() || va2.Fingerprint() != va.Fingerprint() {
		t.Error("same seed gave a different split")
	}
	_, va3, _ := d.Split(0.1, 43)
	if va3.Fingerprint() == va.Fingerprint() {
		t.Error("another seed gave the same split")
	}
	uneven := tagged(37, 1, 2, 1, 3, 7) // classes of 13, 12, 12
	_, vu, err := uneven.Split(0.25, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := vu.ClassCounts(); !slices.Equal(got, []int{3, 3, 3}) { // round(3.25), round(3), round(3)
		t.Errorf("uneven split counts %v", got)
	}
	for _, f := range []float64{0, 1, -0.1, 1.5, math.NaN(), math.Inf(1)} {
		if _, _, err := d.Split(f, 1); err == nil || !strings.Contains(err.Error(), "validFrac") {
			t.Errorf("Split(%v) = %v, want an error naming validFrac", f, err)
		}
	}
	if _, _, err := tagged(4, 1, 2, 1, 4, 1).Split(0.1, 1); err == nil {
		t.Error("split leaving no validation images did not fail")
	}
}

func TestMeanStd(t *testing.T) {
	d := tagged(50, 3, 4, 3, 2, 8)
	mean, std := d.MeanStd()
	for c := range 3 {
		var s, sq, n float64
		for i := c; i < len(d.Images); i += 3 {
			v := float64(d.Images[i]) / 255
			s += v
			sq += v * v
			n++
		}
		m := s / n
		sd := math.Sqrt(sq/n - m*m)
		if math.Abs(float64(mean[c])-m) > 1e-6 || math.Abs(float64(std[c])-sd) > 1e-6 {
			t.Errorf("channel %d: %v %v, want %v %v", c, mean[c], std[c], m, sd)
		}
	}
	flat := &data.Dataset{N: 2, H: 1, W: 1, C: 1, Images: []uint8{255, 255}, Labels: []int32{0, 0}, Classes: []string{"a"}}
	if m, s := flat.MeanStd(); m[0] != 1 || s[0] != 0 {
		t.Errorf("constant image: %v %v", m, s)
	}
}

func TestFingerprint(t *testing.T) {
	d := tagged(20, 2, 2, 3, 4, 9)
	fp := d.Fingerprint()
	if !strings.HasPrefix(fp, "sha256:") || len(fp) != len("sha256:")+16 {
		t.Fatalf("fingerprint %q", fp)
	}
	if tagged(20, 2, 2, 3, 4, 9).Fingerprint() != fp {
		t.Error("same content, different fingerprint")
	}
	renamed := tagged(20, 2, 2, 3, 4, 9)
	renamed.Name = "other"
	if renamed.Fingerprint() != fp {
		t.Error("name changed the fingerprint")
	}
	edits := map[string]func(d *data.Dataset){
		"pixel":  func(d *data.Dataset) { d.Images[17]++ },
		"label":  func(d *data.Dataset) { d.Labels[3] = (d.Labels[3] + 1) % 4 },
		"class":  func(d *data.Dataset) { d.Classes[1] = "x" },
		"shape":  func(d *data.Dataset) { d.H, d.W = 4, 1 },
		"concat": func(d *data.Dataset) { d.Classes[0], d.Classes[1] = "c0c", "1" },
	}
	for name, edit := range edits {
		e := tagged(20, 2, 2, 3, 4, 9)
		edit(e)
		if e.Fingerprint() == fp {
			t.Errorf("%s change kept the fingerprint", name)
		}
	}
}

// TestInvalidDatasetNoPanic checks that methods without an error result
// stay safe on a dataset whose fields disagree.
func TestInvalidDatasetNoPanic(t *testing.T) {
	d := tagged(10, 2, 2, 3, 2, 1)
	d.Images = d.Images[:4*12+5] // 4 whole images and a part
	if got := d.Take(8); got.N != 4 {
		t.Errorf("Take(8) of 4 whole images: N = %d", got.N)
	}
	if d.Image(4) != nil || d.Image(3) == nil {
		t.Error("Image past the stored bytes")
	}
	if _, err := d.Subset([]int{0}); err == nil {
		t.Error("Subset of an invalid dataset did not fail")
	}
	d.Fingerprint()
	d.MeanStd()
	zero := &data.Dataset{N: 3}
	if zero.Take(2).N != 0 || zero.Image(0) != nil {
		t.Error("zero-size images")
	}
}
