package fast

import "fmt"

// ReduceSum writes into out the sum of in, of dimensions dims, over the
// given axes (unique, in range, any order); out holds the kept axes in
// their order. No axes means all of them (as the Go backend does). Work
// is split between up to workers goroutines for large inputs; the result
// does not depend on workers.
func ReduceSum[T Float](in []T, dims, axes []int, out []T, workers int) error {
	ax, nOut, err := reducePlan(dims, axes)
	if err != nil {
		return fmt.Errorf("ReduceSum of %v over axes %v: %w", dims, axes, err)
	}
	nIn, _ := size(dims)
	if len(in) != nIn || len(out) != nOut {
		return fmt.Errorf("ReduceSum of %v over axes %v: %d input and %d output values, want %d and %d",
			dims, axes, len(in), len(out), nIn, nOut)
	}
	clear(out)
	if nIn == 0 {
		return nil
	}
	if len(ax) == 0 { // a single element
		out[0] = in[0]
		return nil
	}
	a := ax[0]
	if !a.flag {
		// Outermost axis kept: the parts write disjoint outputs.
		parts := 1
		if nIn >= parallelMin {
			parts = min(workers, a.n)
		}
		split(parts, func(p int) {
			lo, hi := bounds(a.n, parts, p)
			sumRange(out, in, ax, lo, hi)
		})
		return nil
	}
	// Outermost axis reduced: a fixed number of chunks (from the shape
	// only), each summed on its own, the partial sums added in order.
	chunks := min(max(nIn/chunkElems, 1), maxChunks, a.n)
	if chunks == 1 {
		sumRange(out, in, ax, 0, a.n)
		return nil
	}
	partial := make([]T, (chunks-1)*nOut)
	parts := min(workers, chunks)
	split(parts, func(p int) {
		for c := p; c < chunks; c += parts {
			dst := out
			if c > 0 {
				dst = partial[(c-1)*nOut : c*nOut]
			}
			lo, hi := bounds(a.n, chunks, c)
			sumRange(dst, in, ax, lo, hi)
		}
	})
	for c := 1; c < chunks; c++ {
		addTo(out, partial[(c-1)*nOut:c*nOut])
	}
	return nil
}

// reducePlan checks the reduction and returns its merged axes, outermost
// first (flag marks reduced axes), and the output size.
func reducePlan(dims, axes []int) ([]axis, int, error) {
	if _, err := size(dims); err != nil {
		return nil, 0, err
	}
	reduced := make([]bool, len(dims))
	if len(axes) == 0 {
		for i := range reduced {
			reduced[i] = true
		}
	}
	for _, a := range axes {
		if a < 0 || a >= len(dims) {
			return nil, 0, fmt.Errorf("axis %d out of range for rank %d", a, len(dims))
		}
		if reduced[a] {
			return nil, 0, fmt.Errorf("axis %d given twice", a)
		}
		reduced[a] = true
	}
	var ax []axis
	for a, n := range dims {
		if n == 1 {
			continue
		}
		if k := len(ax) - 1; k >= 0 && ax[k].flag == reduced[a] {
			ax[k].n *= n
			continue
		}
		ax = append(ax, axis{n: n, flag: reduced[a]})
	}
	in, out := 1, 1
	for k := len(ax) - 1; k >= 0; k-- {
		ax[k].in, ax[k].out = in, out
		in *= ax[k].n
		if ax[k].flag {
			ax[k].out = 0
		} else {
			out *= ax[k].n
		}
	}
	nOut := 1
	for a, n := range dims {
		if !reduced[a] {
			nOut *= n
		}
	}
	return ax, nOut, nil
}

// sumRange adds to out the sums over indices [lo, hi) of the outermost axis
// of ax; out and in start at index 0 of that axis.
func sumRange[T Float](out, in []T, ax []axis, lo, hi int) {
	a := ax[0]
	if len(ax) == 1 {
		if a.flag {
			out[0] += sum(in[lo:hi])
		} else {
			addTo(out[lo:hi], in[lo:hi])
		}
		return
	}
	if len(ax) == 2 {
		b := ax[1]
		if a.flag { // rows of kept values (a.in == b.n) added into out
			sumRows(out[:b.n], in[lo*a.in:hi*a.in])
			return
		}
		for j := lo; j < hi; j++ { // one output per contiguous run
			out[j] += sum(in[j*a.in : j*a.in+b.n])
		}
		return
	}
	for j := lo; j < hi; j++ {
		sumRange(out[j*a.out:], in[j*a.in:(j+1)*a.in], ax[1:], 0, ax[1].n)
	}
}

// tileElems bounds the values of the rows sumRows reads per pass over a
// block of columns, so that the next block finds them in cache.
const tileElems = 1 << 14

// sumRowsScalar adds the rows of x, each of len(out) values, into out:
// every output element sums its column in row order. Blocks of eight
// columns are summed in registers over a tile of rows at a time.
func sumRowsScalar[T Float](out, x []T) {
	k := len(out)
	if k == 0 {
		return
	}
	rows := len(x) / k
	tile := max(1, tileElems/k)
	for r0 := 0; r0 < rows; r0 += tile {
		r1 := min(r0+tile, rows)
		c := 0
		for ; c+8 <= k; c += 8 {
			o := out[c : c+8 : c+8]
			s0, s1, s2, s3, s4, s5, s6, s7 := o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]
			for r := r0; r < r1; r++ {
				v := x[r*k+c : r*k+c+8 : r*k+c+8]
				s0 += v[0]
				s1 += v[1]
				s2 += v[2]
				s3 += v[3]
				s4 += v[4]
				s5 += v[5]
				s6 += v[6]
				s7 += v[7]
			}
			o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7] = s0, s1, s2, s3, s4, s5, s6, s7
		}
		for ; c < k; c++ {
			s := out[c]
			for r := r0; r < r1; r++ {
				s += x[r*k+c]
			}
			out[c] = s
		}
	}
}

// addTo adds x to out element by element (len(x) >= len(out)).
func addTo[T Float](out, x []T) {
	x = x[:len(out)]
	i := 0
	for ; i+4 <= len(out); i += 4 {
		o := out[i : i+4 : i+4]
		v := x[i : i+4 : i+4]
		o[0] += v[0]
		o[1] += v[1]
		o[2] += v[2]
		o[3] += v[3]
	}
	for ; i < len(out); i++ {
		out[i] += x[i]
	}
}

// sum returns the sum of x, accumulated in four interleaved partial sums
// (x[i] goes to sum i mod 4, a tail of fewer than four values to sum 0),
// added as (s0+s1)+(s2+s3).
func sum[T Float](x []T) T {
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		s0 += v[0]
		s1 += v[1]
		s2 += v[2]
		s3 += v[3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}
