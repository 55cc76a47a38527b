package cpu_test

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"

	"github.com/trgnas/trgnas/nas/backend/cpu"
)

// TestFoldsMatchSimpleGo runs graphs made of what the folds remove on
// this backend (folds on and off) and on the plain Go backend: same outputs.
func TestFoldsMatchSimpleGo(t *testing.T) {
	a := input{dims: []int{2, 3}, data: seq(6, 0.5)}
	c := input{dims: []int{4, 3}, data: seq(12, -0.25)}
	flat := func(b compute.Function, x compute.Value, n int) compute.Value { return must(b.Reshape(x, n)) }
	cases := []struct {
		name string
		ins  []input
		fn   graphFn
	}{
		{"identity", []input{a}, func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			x := must(b.Identity(must(b.Identity(p[0]))))
			return []compute.Value{x, must(b.Mul(x, p[0]))}, nil
		}},
		{"x-x added", []input{a, a}, func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			s := must(b.Mul(p[1], p[1]))
			z := must(b.Sub(s, must(b.Identity(s))))
			return []compute.Value{must(b.Add(p[0], z)), must(b.Add(z, p[0])), must(b.Sub(p[0], z))}, nil
		}},
		{"x-x used", []input{a}, func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			z := must(b.Sub(p[0], p[0]))
			return []compute.Value{z, must(b.Mul(z, p[0]))}, nil
		}},
		{"slice of concatenate", []input{a, c}, func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			cat := must(b.Concatenate(0, p[0], p[1], p[0]))
			first := must(b.Slice(cat, []int{0, 0}, []int{2, 3}, []int{1, 1}))
			middle := must(b.Slice(cat, []int{2, 0}, []int{6, 3}, []int{1, 1}))
			last := must(b.Slice(cat, []int{6, 0}, []int{8, 3}, []int{1, 1}))
			across := must(b.Slice(cat, []int{1, 0}, []int{3, 3}, []int{1, 1}))  // two operands: not folded
			column := must(b.Slice(cat, []int{2, 1}, []int{6, 3}, []int{1, 1}))  // part of an operand
			strided := must(b.Slice(cat, []int{2, 0}, []int{6, 3}, []int{2, 1})) // strided
			return []compute.Value{first, middle, last, across, column, strided}, nil
		}},
		{"whole slice", []input{a}, func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			y := must(b.Mul(p[0], p[0]))
			whole := must(b.Slice(y, []int{0, 0}, []int{2, 3}, []int{1, 1}))
			rows := must(b.Slice(y, []int{0, 0}, []int{2, 3}, []int{2, 1})) // strided: not folded
			return []compute.Value{whole, rows, must(b.Add(whole, p[0]))}, nil
		}},
		{"folded op imports last", []input{a, c}, func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			// The Concatenate imports p[1] into the segment after its last
			// used value, and only a folded Slice uses it.
			y := must(b.Mul(p[0], p[0]))
			cat := must(b.Concatenate(0, y, p[1]))
			back := must(b.Slice(cat, []int{2, 0}, []int{6, 3}, []int{1, 1}))
			return []compute.Value{y, back}, nil
		}},
		{"slice of pad", []input{a}, func(b compute.Function, p []compute.Value) ([]compute.Value, error) {
			v := flat(b, p[0], 6)
			padded := must(b.Pad(v, scalar(b, 0), compute.PadAxis{Start: 0, End: 5}))
			back := must(b.Slice(padded, []int{0}, []int{6}, []int{1}))
			both := must(b.Pad(p[0], scalar(b, 1), compute.PadAxis{Start: 1, End: 2}, compute.PadAxis{}))
			middle := must(b.Slice(both, []int{1, 0}, []int{3, 3}, []int{1, 1}))
			return []compute.Value{padded, back, middle, must(b.Add(back, v))}, nil
		}},
	}
	plain := newSimpleGo(t)
	noFold := newGofill(t, cpu.OptionNoFold)
	folds := newGofill(t, "")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, _ := run(t, noFold, tc.fn, tc.ins, nil)
			ref, _ := run(t, plain, tc.fn, tc.ins, nil)
			compare(t, "nofold vs the Go backend", want, ref, 0)
			got, _ := run(t, folds, tc.fn, tc.ins, nil)
			compare(t, "folds", got, want, 0)
		})
	}
}

// TestFoldsFold checks that the folds answer with the value they replace
// (the same op), and that OptionNoFold builds every op.
func TestFoldsFold(t *testing.T) {
	for _, cfg := range []string{"", cpu.OptionNoFold} {
		be, err := cpu.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		b := be.Builder("folds").Main()
		x := must(b.Parameter("x", shapes.Make(dtypes.Float32, 4), nil))
		y := must(b.Parameter("y", shapes.Make(dtypes.Float32, 3), nil))
		s := must(b.Mul(x, x))
		cat := must(b.Concatenate(0, x, y))
		got := map[string][2]compute.Value{
			"Identity":  {must(b.Identity(x)), x},
			"y+(s-s)":   {must(b.Add(x, must(b.Sub(s, must(b.Identity(s)))))), x},
			"slice":     {must(b.Slice(cat, []int{4}, []int{7}, []int{1})), y},
			"whole":     {must(b.Slice(s, []int{0}, []int{4}, []int{1})), s},
			"pad slice": {must(b.Slice(must(b.Pad(y, must(b.Constant([]float32{0})), compute.PadAxis{End: 2})), []int{0}, []int{3}, []int{1})), y},
		}
		if must(b.Slice(s, []int{0}, []int{4}, []int{2})) == s || must(b.Slice(s, []int{1}, []int{4}, []int{1})) == s {
			t.Errorf("config %q: a strided or partial slice was folded", cfg)
		}
		for name, ops := range got {
			if folded := ops[0] == ops[1]; folded != (cfg == "") {
				t.Errorf("config %q: %s folded = %v", cfg, name, folded)
			}
		}
		be.Finalize()
	}
}
