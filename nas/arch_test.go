package nas_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/trgnas/trgnas/nas"
)

func TestParamsPublishedExamples(t *testing.T) {
	final := nas.Arch{Width: 56, Ops: []int{1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Kernels: nas.Uniform(56, 16, 0, 3).Kernels}
	for _, tc := range []struct {
		a    nas.Arch
		want int
	}{
		{nas.Uniform(72, 10, nas.OpSepConv, 3), 388450},
		{nas.Uniform(72, 11, nas.OpSepConv, 3), 410770},
		{nas.Uniform(72, 20, nas.OpSepConv, 3), 753994},
		{final, 453498},
	} {
		if got := tc.a.Params(3, 10); got != tc.want {
			t.Errorf("%v: params %d, want %d", tc.a, got, tc.want)
		}
	}
}

func TestLayersDoubleOnceWhenIndicesCoincide(t *testing.T) {
	ls := nas.Uniform(4, 2, nas.OpConv, 3).Layers() // L/3 = 0, 2L/3 = 1
	if ls[0].Out != 8 || ls[0].Stride != 2 || ls[1].Out != 16 || ls[1].Stride != 2 {
		t.Fatalf("depth 2: %+v", ls)
	}
	ls = nas.Uniform(4, 1, nas.OpConv, 3).Layers() // L/3 = 2L/3 = 0
	if len(ls) != 1 || ls[0].Out != 8 || ls[0].In != 8 || ls[0].Stride != 2 {
		t.Fatalf("depth 1: %+v", ls)
	}
}

func TestMACsByHand(t *testing.T) {
	// Width 1, depth 1, Conv k3, 4x4x1 input, 2 classes.
	// Stem: 4*4*9*1*2 = 288. Layer: stride 2, 2->2 channels, 2x2 out: 4*9*2*2 = 144. Head: 2*2 = 4.
	a := nas.Uniform(1, 1, nas.OpConv, 3)
	if got := a.MACs(4, 4, 1, 2); got != 288+144+4 {
		t.Fatalf("MACs %d, want %d", got, 288+144+4)
	}
}

func TestValidate(t *testing.T) {
	for name, a := range map[string]nas.Arch{
		"width":   {Width: 0, Ops: []int{0}, Kernels: []int{3}},
		"depth":   {Width: 4},
		"kernel":  {Width: 4, Ops: []int{0}, Kernels: []int{4}},
		"op":      {Width: 4, Ops: []int{2}, Kernels: []int{3}},
		"lengths": {Width: 4, Ops: []int{0, 0}, Kernels: []int{3}},
	} {
		if err := a.Validate(); !errors.Is(err, nas.ErrInvalidArch) {
			t.Errorf("%s: got %v, want ErrInvalidArch", name, err)
		}
	}
	if err := nas.Uniform(16, 10, 0, 3).Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestKeyAndJSONRoundTrip(t *testing.T) {
	a := nas.Arch{Width: 56, Ops: []int{1, 0, 1}, Kernels: []int{3, 5, 7}}
	if a.Key() != "w56-o101-k357" {
		t.Fatalf("key %q", a.Key())
	}
	b, err := nas.ParseKey(a.Key())
	if err != nil || !b.Equal(a) {
		t.Fatalf("ParseKey: %v %v", b, err)
	}
	if _, err := nas.ParseKey("w5-o2-k3"); err == nil {
		t.Fatal("ParseKey accepted op 2")
	}
	js, _ := json.Marshal(a)
	if string(js) != `{"width":56,"ops":[1,0,1],"kernels":[3,5,7]}` {
		t.Fatalf("json %s", js)
	}
	var c nas.Arch
	if err := json.Unmarshal(js, &c); err != nil || !c.Equal(a) {
		t.Fatalf("unmarshal: %v %v", c, err)
	}
}
