package fast_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

// strides returns the row-major strides of dims.
func strides(dims []int) []int {
	s := make([]int, len(dims))
	n := 1
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = n
		n *= dims[i]
	}
	return s
}

// prod is the number of elements of dims.
func prod(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// refBroadcast is BroadcastInDim by the definition: every output element
// reads the input at its mapped indices (0 on size-1 input axes).
func refBroadcast[T fast.Float](in []T, inDims, axes []int, outDims []int) []T {
	out := make([]T, prod(outDims))
	is, os := strides(inDims), strides(outDims)
	for f := range out {
		src := 0
		for i, a := range axes {
			idx := (f / os[a]) % outDims[a]
			if inDims[i] == 1 {
				idx = 0
			}
			src += idx * is[i]
		}
		out[f] = in[src]
	}
	return out
}

// refReduceSum sums in float64, in input order, over the axes.
func refReduceSum(in []float64, dims, axes []int) []float64 {
	red := make([]bool, len(dims))
	for _, a := range axes {
		red[a] = true
	}
	if len(axes) == 0 {
		for i := range red {
			red[i] = true
		}
	}
	var keptDims []int
	for a, d := range dims {
		if !red[a] {
			keptDims = append(keptDims, d)
		}
	}
	out := make([]float64, prod(keptDims))
	is, ks := strides(dims), strides(keptDims)
	for f, v := range in {
		dst, k := 0, 0
		for a, d := range dims {
			if red[a] {
				continue
			}
			dst += ((f / is[a]) % d) * ks[k]
			k++
		}
		out[dst] += v
	}
	return out
}

// randDims returns rank dimensions, mostly small and odd, some 1.
func randDims(r *rand.Rand, rank int) []int {
	dims := make([]int, rank)
	for i := range dims {
		switch r.IntN(4) {
		case 0:
			dims[i] = 1
		default:
			dims[i] = 1 + r.IntN(9)
		}
	}
	return dims
}

func randData[T fast.Float](r *rand.Rand, n int) []T {
	x := make([]T, n)
	for i := range x {
		x[i] = T(r.Float64()*2 - 1)
	}
	return x
}

func TestBroadcastMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for rank := 1; rank <= 5; rank++ {
		for trial := range 60 {
			outDims := randDims(r, rank)
			if trial%5 == 0 { // one large case per few, to take the parallel path
				outDims[0] = 200
				outDims[rank-1] = 170
			}
			// Keep a random subset of output axes, each as its size or 1.
			var axes, inDims []int
			for a, d := range outDims {
				switch r.IntN(3) {
				case 0: // new axis
				case 1:
					axes, inDims = append(axes, a), append(inDims, 1)
				default:
					axes, inDims = append(axes, a), append(inDims, d)
				}
			}
			name := fmt.Sprintf("%v->%v/axes%v", inDims, outDims, axes)
			in32 := randData[float32](r, prod(inDims))
			want32 := refBroadcast(in32, inDims, axes, outDims)
			for _, workers := range []int{1, 2, 3} {
				got := make([]float32, len(want32))
				if err := fast.Broadcast(in32, inDims, axes, got, outDims, workers); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !slices.Equal(got, want32) {
					t.Fatalf("%s workers=%d: float32 result differs from the reference", name, workers)
				}
			}
			in64 := randData[float64](r, prod(inDims))
			want64 := refBroadcast(in64, inDims, axes, outDims)
			got := make([]float64, len(want64))
			if err := fast.Broadcast(in64, inDims, axes, got, outDims, 2); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !slices.Equal(got, want64) {
				t.Fatalf("%s: float64 result differs from the reference", name)
			}
		}
	}
}

func TestBroadcastCases(t *testing.T) {
	tests := []struct {
		name         string
		inDims, axes []int
		outDims      []int
	}{
		{"scalar fill", nil, nil, []int{3, 5, 7}},
		{"scalar fill large", nil, nil, []int{300, 301}},
		{"channels to NHWC", []int{16}, []int{3}, []int{64, 8, 8, 16}},
		{"NHW1 to NHWC", []int{4, 6, 6, 1}, []int{0, 1, 2, 3}, []int{4, 6, 6, 16}},
		{"batch to NHWC", []int{64}, []int{0}, []int{64, 9, 9, 16}},
		{"identity", []int{3, 4}, []int{0, 1}, []int{3, 4}},
		{"all size 1", []int{1, 1}, []int{0, 2}, []int{1, 1, 1}},
		{"empty output", []int{0}, []int{1}, []int{3, 0}},
		{"long rows", []int{5, 1, 300}, []int{0, 1, 2}, []int{5, 200, 300}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := make([]float32, prod(tt.inDims))
			for i := range in {
				in[i] = float32(i + 1)
			}
			want := refBroadcast(in, tt.inDims, tt.axes, tt.outDims)
			got := make([]float32, len(want))
			for i := range got {
				got[i] = -1
			}
			if err := fast.Broadcast(in, tt.inDims, tt.axes, got, tt.outDims, 2); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got[:min(len(got), 20)], want[:min(len(want), 20)])
			}
		})
	}
}

func TestBroadcastErrors(t *testing.T) {
	tests := []struct {
		name                  string
		inDims, axes, outDims []int
		nIn, nOut             int
		want                  string
	}{
		{"rank", []int{2}, nil, []int{2}, 2, 2, "0 axes for an input of rank 1"},
		{"range", []int{2}, []int{1}, []int{2}, 2, 2, "out of range"},
		{"order", []int{2, 3}, []int{1, 0}, []int{3, 2}, 6, 6, "strictly increasing"},
		{"size", []int{2}, []int{0}, []int{3}, 2, 3, "size 2 cannot become output axis 0 of size 3"},
		{"lengths", []int{2}, []int{0}, []int{2}, 2, 3, "want 2 and 2"},
	}
	for _, tt := range tests {
		err := fast.Broadcast(make([]float32, tt.nIn), tt.inDims, tt.axes, make([]float32, tt.nOut), tt.outDims, 2)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "BroadcastInDim") {
			t.Errorf("%s: error %v, want one with %q", tt.name, err, tt.want)
		}
	}
}

// subsets returns every subset of [0, rank) (each as increasing axes).
func subsets(rank int) [][]int {
	var out [][]int
	for m := range 1 << rank {
		var s []int
		for a := range rank {
			if m&(1<<a) != 0 {
				s = append(s, a)
			}
		}
		out = append(out, s)
	}
	return out
}

func TestReduceSumMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for rank := 1; rank <= 5; rank++ {
		for trial := range 6 {
			dims := randDims(r, rank)
			if trial == 0 { // large enough for chunks and the parallel path
				for i := range dims {
					dims[i] = min(dims[i], 3)
				}
				dims[0] = 150
				dims[rank-1] = 230
			}
			in64 := randData[float64](r, prod(dims))
			in32 := make([]float32, len(in64))
			for i, v := range in64 {
				in32[i] = float32(v)
			}
			for _, axes := range subsets(rank) {
				name := fmt.Sprintf("%v/axes%v", dims, axes)
				wantAxes := axes
				if len(axes) == 0 { // no axes: all (checked by the reference too)
					wantAxes = nil
				}
				want := refReduceSum(in64, dims, wantAxes)
				got64 := make([]float64, len(want))
				if err := fast.ReduceSum(in64, dims, axes, got64, 2); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				want32 := refReduceSum(toF64(in32), dims, wantAxes)
				absSum := refReduceSum(abs(in64), dims, wantAxes)
				var first []float32
				for _, workers := range []int{1, 2, 3} {
					got32 := make([]float32, len(want))
					if err := fast.ReduceSum(in32, dims, axes, got32, workers); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if first == nil {
						first = got32
					} else if !slices.Equal(first, got32) {
						t.Fatalf("%s: workers=%d changes the float32 bits", name, workers)
					}
				}
				for i := range want {
					if math.Abs(got64[i]-want[i]) > 1e-14*max(1, absSum[i]) {
						t.Fatalf("%s: float64 [%d] = %g, want %g", name, i, got64[i], want[i])
					}
					// float32 rounding: bounded by the sum of magnitudes.
					if math.Abs(float64(first[i])-want32[i]) > 1e-5*max(1, absSum[i]) {
						t.Fatalf("%s: float32 [%d] = %g, want %g", name, i, first[i], want32[i])
					}
				}
			}
		}
	}
}

func abs(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Abs(v)
	}
	return y
}

func toF64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func TestReduceSumCases(t *testing.T) {
	tests := []struct {
		name       string
		dims, axes []int
	}{
		{"BatchNorm statistics", []int{64, 16, 16, 16}, []int{0, 1, 2}},
		{"over channels", []int{8, 5, 5, 16}, []int{3}},
		{"scalar input", nil, nil},
		{"all axes by default", []int{3, 4}, nil},
		{"empty reduced axis", []int{0, 3}, []int{0}},
		{"empty kept axis", []int{3, 0}, []int{0}},
		{"size 1 axes only", []int{1, 1, 1}, []int{1}},
		{"outer reduced, long rows", []int{3, 100000}, []int{0}},
		{"reduced, kept, reduced", []int{300, 7, 40}, []int{0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := make([]float64, prod(tt.dims))
			for i := range in {
				in[i] = float64(i%13) - 6
			}
			want := refReduceSum(in, tt.dims, tt.axes)
			got := make([]float64, len(want))
			for i := range got {
				got[i] = math.NaN() // must be overwritten
			}
			if err := fast.ReduceSum(in, tt.dims, tt.axes, got, 2); err != nil {
				t.Fatal(err)
			}
			// Small integers: every order of summation is exact.
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got[:min(len(got), 20)], want[:min(len(want), 20)])
			}
		})
	}
}

func TestReduceSumErrors(t *testing.T) {
	tests := []struct {
		name       string
		dims, axes []int
		nIn, nOut  int
		want       string
	}{
		{"range", []int{2, 3}, []int{2}, 6, 2, "axis 2 out of range for rank 2"},
		{"negative", []int{2, 3}, []int{-1}, 6, 2, "axis -1 out of range"},
		{"twice", []int{2, 3}, []int{1, 1}, 6, 2, "axis 1 given twice"},
		{"lengths", []int{2, 3}, []int{1}, 6, 3, "want 6 and 2"},
	}
	for _, tt := range tests {
		err := fast.ReduceSum(make([]float32, tt.nIn), tt.dims, tt.axes, make([]float32, tt.nOut), 2)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "ReduceSum of [2 3]") {
			t.Errorf("%s: error %v, want one with %q", tt.name, err, tt.want)
		}
	}
}

// TestReduceSumDeterministic: the same input gives the same bits on every
// run and for every number of workers, on shapes that take the chunked
// path.
func TestReduceSumDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ dims, axes []int }{
		{[]int{64, 16, 16, 16}, []int{0, 1, 2}},
		{[]int{64, 16, 16, 16}, []int{1, 2, 3}},
		{[]int{1 << 18}, []int{0}},
	} {
		in := randData[float32](r, prod(tc.dims))
		var first []float32
		for run := range 6 {
			out := make([]float32, prod(tc.dims)/prodAxes(tc.dims, tc.axes))
			if err := fast.ReduceSum(in, tc.dims, tc.axes, out, 1+run%3); err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = out
				continue
			}
			for i := range out {
				if math.Float32bits(out[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%v over %v: run %d differs at %d: %g vs %g", tc.dims, tc.axes, run, i, out[i], first[i])
				}
			}
		}
	}
}

func prodAxes(dims, axes []int) int {
	n := 1
	for _, a := range axes {
		n *= dims[a]
	}
	return n
}

// TestReduceSumRowsSameBits: sums of rows (outer axes reduced, inner kept)
// give the same bits as a column-by-column sum in row order, for row
// lengths around the vector blocks of the simd build.
func TestReduceSumRowsSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, k := range []int{2, 7, 8, 9, 16, 31, 32, 33, 72, 100, 5000} {
		rows := max(3, 30000/k)
		in := randData[float32](r, rows*k)
		got := make([]float32, k)
		if err := fast.ReduceSum(in, []int{rows, k}, []int{0}, got, 1); err != nil {
			t.Fatal(err)
		}
		// ReduceSum chunks a large reduced axis: sum each chunk in row
		// order, then add the chunks in order.
		chunks := min(max(rows*k/(1<<15), 1), 8, rows)
		want := make([]float32, k)
		for c := range chunks {
			part := make([]float32, k)
			for row := rows * c / chunks; row < rows*(c+1)/chunks; row++ {
				for j := range k {
					part[j] += in[row*k+j]
				}
			}
			for j := range k {
				want[j] += part[j]
			}
		}
		for j := range k {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				t.Fatalf("k=%d: column %d = %g, want %g", k, j, got[j], want[j])
			}
		}
	}
}
