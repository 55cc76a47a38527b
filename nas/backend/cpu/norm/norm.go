// Package norm computes XLA's batch normalization ops (BatchNormTraining
// and BatchNormGrad, GoMLX's backends.Builder.BatchNormForTraining and
// BatchNormGradient) on flat row-major slices, in pure Go.
//
// The operand is seen as [Outer, C, Inner]: C is the feature axis, Outer
// the product of the axes before it and Inner of those after it (NHWC
// with the feature axis last has Inner = 1). Statistics are over Outer and
// Inner, per feature; the variance is the biased one (divided by
// Outer*Inner), as in XLA.
//
// Sums are accumulated in float64 over fixed blocks of Outer rows and the
// blocks' partial sums are added in block order, so a result does not
// depend on the number of workers or on goroutine scheduling.
//
// With the feature axis last (Inner = 1) and float32 values, a build with
// GOEXPERIMENT=simd on an AVX2 CPU runs the row loops in vector registers
// (kernels_simd.go): the sums in float64 vectors of 4 features, the
// writes in float32 vectors of 8, each feature with the same operations
// in the same order as the plain Go loops, so both builds give the same
// bits (as long as the compiler does not fuse the plain loops' multiply
// and add, as it does not below GOAMD64=v3).
package norm

import (
	"fmt"
	"math"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/par"
)

// Layout is the operand viewed as [Outer, C, Inner].
type Layout struct {
	Outer, C, Inner int
}

// LayoutOf returns the layout of an operand with the given dimensions and
// feature axis.
func LayoutOf(dims []int, featureAxis int) (Layout, error) {
	if featureAxis < 0 || featureAxis >= len(dims) {
		return Layout{}, fmt.Errorf("norm: feature axis %d out of range for dimensions %v", featureAxis, dims)
	}
	l := Layout{Outer: 1, C: dims[featureAxis], Inner: 1}
	for i, d := range dims {
		switch {
		case i < featureAxis:
			l.Outer *= d
		case i > featureAxis:
			l.Inner *= d
		}
	}
	return l, nil
}

func (l Layout) size() int { return l.Outer * l.C * l.Inner }

// count is the number of values per feature.
func (l Layout) count() int { return l.Outer * l.Inner }

// blockRows is the number of Outer rows of one block of work: about 16 Ki
// values, fixed so that sums do not depend on the workers.
func (l Layout) blockRows() int {
	return max(1, (16<<10)/max(1, l.C*l.Inner))
}

func (l Layout) check(op string, sizes map[string]int) error {
	if l.Outer < 0 || l.C < 1 || l.Inner < 0 {
		return fmt.Errorf("norm: %s: invalid layout %+v", op, l)
	}
	if l.count() < 1 {
		return fmt.Errorf("norm: %s: no values per feature in layout %+v", op, l)
	}
	for _, name := range []string{"x", "gy", "y", "gx", "scale", "offset", "mean", "variance", "gscale", "goffset"} {
		n, ok := sizes[name]
		if !ok {
			continue
		}
		want := l.C
		if name == "x" || name == "gy" || name == "y" || name == "gx" {
			want = l.size()
		}
		if n != want {
			return fmt.Errorf("norm: %s: %s has %d values, want %d for layout %+v", op, name, n, want, l)
		}
	}
	return nil
}

// Training computes y = (x - mean) / sqrt(variance + eps) * scale + offset
// with the batch mean and biased variance per feature, which it also
// writes: one pass for the statistics and one for y. workers <= 0 means runtime.GOMAXPROCS(0).
func Training[T float32 | float64](l Layout, x, scale, offset []T, eps float64, y, mean, variance []T, workers int) error {
	return training(pick[T](), l, x, scale, offset, eps, y, mean, variance, workers, nil)
}

// TrainingThen is Training followed by then on y's values, a block of
// whole Outer rows at a time, on the worker that has just written them
// (still in cache): for a caller that fuses an element-wise op that reads
// only y (the ReLU after the normalization). then must not depend on where
// the blocks fall.
func TrainingThen[T float32 | float64](l Layout, x, scale, offset []T, eps float64, y, mean, variance []T, workers int, then func(y []T)) error {
	return training(pick[T](), l, x, scale, offset, eps, y, mean, variance, workers, then)
}

// training is Training with the given row kernels, and then (nil for
// none) as in TrainingThen.
func training[T float32 | float64](kern kernels[T], l Layout, x, scale, offset []T, eps float64, y, mean, variance []T, workers int, then func([]T)) error {
	if err := l.check("Training", map[string]int{"x": len(x), "scale": len(scale), "offset": len(offset),
		"y": len(y), "mean": len(mean), "variance": len(variance)}); err != nil {
		return err
	}
	c, in := l.C, l.Inner
	n := float64(l.count())
	// One pass: sums of d and d*d, d = x - k with k the feature's first
	// value, in float64 (the shift keeps d*d from cancelling when the mean
	// is large next to the spread).
	k := make([]float64, c)
	for ch := range c {
		k[ch] = float64(x[ch*in])
	}
	sums := l.sums(workers, 2, nil, func(o int, s []float64) {
		s1, s2 := s[:c], s[c:2*c]
		for ch := range c {
			row := x[(o*c+ch)*in : (o*c+ch+1)*in]
			kc, t, u := k[ch], 0.0, 0.0
			for _, e := range row {
				d := float64(e) - kc
				t += d
				u += d * d
			}
			s1[ch] += t
			s2[ch] += u
		}
	}, func(lo, hi int, s []float64) {
		kern.stats(x, c, k, s[:c], s[c:2*c], lo, hi)
	})
	m, v := make([]float64, c), make([]float64, c)
	for ch := range c {
		s1, s2 := sums[0][ch], sums[1][ch]
		m[ch] = k[ch] + s1/n
		v[ch] = max(0, s2-s1*s1/n) / n
	}
	a := make([]T, c) // scale / sqrt(var + eps)
	b := make([]T, c) // offset - mean * a
	for i := range v {
		ai := float64(scale[i]) / math.Sqrt(v[i]+eps)
		a[i], b[i] = T(ai), T(float64(offset[i])-m[i]*ai)
		mean[i], variance[i] = T(m[i]), T(v[i])
	}
	affine(kern, l, workers, x, y, a, b, then)
	return nil
}

// Gradient computes the gradients of Training's y with respect to x, scale
// and offset from gy, given the mean and variance Training used:
//
//	gx = scale / sqrt(var+eps) * (gy - mean(gy) - (x-mean) * mean(gy*(x-mean)) / (var+eps))
//	gscale = sum(gy * (x-mean)) / sqrt(var+eps)
//	goffset = sum(gy)
func Gradient[T float32 | float64](l Layout, x, scale, mean, variance, gy []T, eps float64, gx, gscale, goffset []T, workers int) error {
	return gradient(pick[T](), l, x, scale, mean, variance, gy, eps, gx, gscale, goffset, workers, nil)
}

// GradientFilled is Gradient with gy computed by the caller a block of
// whole Outer rows at a time: fill(lo, hi) writes gy's values of rows
// [lo, hi) into gx just before they are first read, so they are summed
// while in cache, and gx's values then replace them. For a caller that
// fuses the element-wise op that makes gy (the ReLU's gradient); fill must
// not depend on where the blocks fall.
func GradientFilled[T float32 | float64](l Layout, x, scale, mean, variance []T, eps float64, gx, gscale, goffset []T, workers int, fill func(lo, hi int)) error {
	return gradient(pick[T](), l, x, scale, mean, variance, gx, eps, gx, gscale, goffset, workers, fill)
}

// gradient is Gradient with the given row kernels; with fill (not nil) as
// in GradientFilled, gy is gx.
func gradient[T float32 | float64](kern kernels[T], l Layout, x, scale, mean, variance, gy []T, eps float64, gx, gscale, goffset []T, workers int, fill func(lo, hi int)) error {
	if err := l.check("Gradient", map[string]int{"x": len(x), "scale": len(scale), "mean": len(mean),
		"variance": len(variance), "gy": len(gy), "gx": len(gx), "gscale": len(gscale), "goffset": len(goffset)}); err != nil {
		return err
	}
	c, in := l.C, l.Inner
	n := float64(l.count())
	m := make([]float64, c)
	for i := range m {
		m[i] = float64(mean[i])
	}
	// sums[0] = sum(gy), sums[1] = sum(gy * (x - mean)).
	sums := l.sums(workers, 2, fill, func(o int, s []float64) {
		sg, sgx := s[:c], s[c:2*c]
		for ch := range c {
			off := (o*c + ch) * in
			xs, gs := x[off:off+in], gy[off:off+in]
			gs = gs[:len(xs)]
			mu, t, u := m[ch], 0.0, 0.0
			for i, e := range xs {
				g := float64(gs[i])
				t += g
				u += g * (float64(e) - mu)
			}
			sg[ch] += t
			sgx[ch] += u
		}
	}, func(lo, hi int, s []float64) {
		kern.gradSums(x, gy, c, m, s[:c], s[c:2*c], lo, hi)
	})
	sg, sgx := sums[0], sums[1]
	// gx = ka*gy + kb*x + kc per feature.
	ka, kb, kc := make([]T, c), make([]T, c), make([]T, c)
	for i := range sg {
		inv := 1 / math.Sqrt(float64(variance[i])+eps)
		gscale[i], goffset[i] = T(sgx[i]*inv), T(sg[i])
		a := float64(scale[i]) * inv
		b := -a * sgx[i] / n * inv * inv
		ka[i], kb[i], kc[i] = T(a), T(b), T(-a*sg[i]/n-b*m[i])
	}
	l.rows(workers, func(lo, hi int) {
		if in == 1 {
			kern.gx(x, gy, gx, ka, kb, kc, c, lo, hi)
			return
		}
		for o := lo; o < hi; o++ {
			for ch := range c {
				off := (o*c + ch) * in
				xs, gs, out := x[off:off+in], gy[off:off+in], gx[off:off+in]
				gs, out = gs[:len(xs)], out[:len(xs)]
				a, b, k := ka[ch], kb[ch], kc[ch]
				for i, e := range xs {
					out[i] = a*gs[i] + b*e + k
				}
			}
		}
	})
	return nil
}

// sums returns k per-feature sums over all Outer rows: general(o, s)
// adds row o's terms into s, k blocks of C values; when Inner = 1,
// nhwc(lo, hi, s) adds rows [lo, hi) instead, each feature's terms in row
// order. Rows are summed in fixed blocks, in parallel, and the blocks'
// sums added in block order; prep(lo, hi), when not nil, runs on a
// block's rows before they are summed.
func (l Layout) sums(workers, k int, prep func(lo, hi int), general func(o int, s []float64), nhwc func(lo, hi int, s []float64)) [][]float64 {
	rows := l.blockRows()
	blocks := (l.Outer + rows - 1) / rows
	part := make([]float64, blocks*k*l.C)
	par.For(workers, blocks, func(_, blk int) {
		s := part[blk*k*l.C : (blk+1)*k*l.C]
		lo, hi := blk*rows, min((blk+1)*rows, l.Outer)
		if prep != nil {
			prep(lo, hi)
		}
		if l.Inner == 1 {
			nhwc(lo, hi, s)
			return
		}
		for o := lo; o < hi; o++ {
			general(o, s)
		}
	})
	out := make([][]float64, k)
	for j := range out {
		out[j] = make([]float64, l.C)
	}
	for blk := range blocks {
		s := part[blk*k*l.C : (blk+1)*k*l.C]
		for j := range out {
			for ch, v := range s[j*l.C : (j+1)*l.C] {
				out[j][ch] += v
			}
		}
	}
	return out
}

// rows runs f over the Outer rows in parallel blocks [lo, hi).
func (l Layout) rows(workers int, f func(lo, hi int)) {
	rows := l.blockRows()
	blocks := (l.Outer + rows - 1) / rows
	par.For(workers, blocks, func(_, blk int) {
		f(blk*rows, min((blk+1)*rows, l.Outer))
	})
}

// Inference computes y = (x - mean) / sqrt(variance + eps) * scale + offset
// with the given per-feature mean and variance.
func Inference[T float32 | float64](l Layout, x, scale, offset, mean, variance []T, eps float64, y []T, workers int) error {
	if err := l.check("Inference", map[string]int{"x": len(x), "scale": len(scale), "offset": len(offset),
		"mean": len(mean), "variance": len(variance), "y": len(y)}); err != nil {
		return err
	}
	a, b := InferenceCoefficients(scale, offset, mean, variance, eps)
	affine(pick[T](), l, workers, x, y, a, b, nil)
	return nil
}

// InferenceCoefficients returns the per-feature a and b with which
// Inference computes y = x*a + b (the product rounded before the sum).
// The slices have equal lengths.
func InferenceCoefficients[T float32 | float64](scale, offset, mean, variance []T, eps float64) (a, b []T) {
	a, b = make([]T, len(scale)), make([]T, len(scale))
	for i := range a {
		ai := float64(scale[i]) / math.Sqrt(float64(variance[i])+eps)
		a[i], b[i] = T(ai), T(float64(offset[i])-float64(mean[i])*ai)
	}
	return a, b
}

// AffineRows writes y = x*a + b, with Inference's arithmetic, for rows of
// len(a) features each (the feature axis last), on the calling goroutine:
// for a caller that fuses batch normalization into its own loop (a
// convolution's output rows while they are in cache). x and y may be the
// same slice; both hold whole rows.
func AffineRows[T float32 | float64](x, y, a, b []T) {
	c := len(a)
	if c == 0 || len(x)%c != 0 || len(y) != len(x) || len(b) != c {
		panic(fmt.Sprintf("norm: AffineRows of %d values into %d with %d and %d coefficients", len(x), len(y), len(a), len(b)))
	}
	pick[T]().affine(x, y, a, b, c, 0, len(x)/c)
}

// affine writes y = x*a + b, a and b per feature, then, when then is not
// nil, calls it on each block of rows of y just written.
func affine[T float32 | float64](kern kernels[T], l Layout, workers int, x, y, a, b []T, then func([]T)) {
	c, in := l.C, l.Inner
	l.rows(workers, func(lo, hi int) {
		if then != nil {
			defer then(y[lo*c*in : hi*c*in])
		}
		if in == 1 {
			kern.affine(x, y, a, b, c, lo, hi)
			return
		}
		for o := lo; o < hi; o++ {
			for ch := range c {
				off := (o*c + ch) * in
				xs, ys := x[off:off+in], y[off:off+in]
				ac, bc := a[ch], b[ch]
				ys = ys[:len(xs)]
				for i, e := range xs {
					ys[i] = e*ac + bc
				}
			}
		}
	})
}
