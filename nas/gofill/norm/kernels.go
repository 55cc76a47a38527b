package norm

// kernels are the loops over NHWC rows (Inner = 1) of C values each, rows
// [lo, hi) of x and the other operands. Every kernel handles each feature
// in row order with the operations of the scalar versions below, so that
// vector versions give the same bits.
type kernels[T float32 | float64] struct {
	// stats adds d = x - k and d*d, in float64, into s1 and s2.
	stats func(x []T, c int, k, s1, s2 []float64, lo, hi int)
	// gradSums adds gy and gy*(x - m), in float64, into sg and sgx.
	gradSums func(x, gy []T, c int, m, sg, sgx []float64, lo, hi int)
	// affine writes y = x*a + b.
	affine func(x, y, a, b []T, c, lo, hi int)
	// gx writes out = ka*gy + kb*x + kc.
	gx func(x, gy, out, ka, kb, kc []T, c, lo, hi int)
}

// scalarKernels are the plain Go kernels.
func scalarKernels[T float32 | float64]() kernels[T] {
	return kernels[T]{
		stats: func(x []T, c int, k, s1, s2 []float64, lo, hi int) {
			statsScalar(x, c, 0, k, s1, s2, lo, hi)
		},
		gradSums: func(x, gy []T, c int, m, sg, sgx []float64, lo, hi int) {
			gradSumsScalar(x, gy, c, 0, m, sg, sgx, lo, hi)
		},
		affine: func(x, y, a, b []T, c, lo, hi int) { affineScalar(x, y, a, b, c, 0, lo, hi) },
		gx: func(x, gy, out, ka, kb, kc []T, c, lo, hi int) {
			gxScalar(x, gy, out, ka, kb, kc, c, 0, lo, hi)
		},
	}
}

// statsScalar is kernels.stats for features [c0, c).
func statsScalar[T float32 | float64](x []T, c, c0 int, k, s1, s2 []float64, lo, hi int) {
	for o := lo; o < hi; o++ {
		row := x[o*c+c0 : (o+1)*c]
		s1, s2, k := s1[c0:c0+len(row)], s2[c0:c0+len(row)], k[c0:c0+len(row)]
		for ch, e := range row {
			d := float64(e) - k[ch]
			s1[ch] += d
			s2[ch] += d * d
		}
	}
}

// gradSumsScalar is kernels.gradSums for features [c0, c).
func gradSumsScalar[T float32 | float64](x, gy []T, c, c0 int, m, sg, sgx []float64, lo, hi int) {
	for o := lo; o < hi; o++ {
		xs, gs := x[o*c+c0:(o+1)*c], gy[o*c+c0:(o+1)*c]
		gs, m := gs[:len(xs)], m[c0:c0+len(xs)]
		sg, sgx := sg[c0:c0+len(xs)], sgx[c0:c0+len(xs)]
		for ch, e := range xs {
			g := float64(gs[ch])
			sg[ch] += g
			sgx[ch] += g * (float64(e) - m[ch])
		}
	}
}

// affineScalar is kernels.affine for features [c0, c).
func affineScalar[T float32 | float64](x, y, a, b []T, c, c0, lo, hi int) {
	for o := lo; o < hi; o++ {
		xs, ys := x[o*c+c0:(o+1)*c], y[o*c+c0:(o+1)*c]
		ys, a, b := ys[:len(xs)], a[c0:c0+len(xs)], b[c0:c0+len(xs)]
		for ch, e := range xs {
			ys[ch] = e*a[ch] + b[ch]
		}
	}
}

// gxScalar is kernels.gx for features [c0, c).
func gxScalar[T float32 | float64](x, gy, out, ka, kb, kc []T, c, c0, lo, hi int) {
	for o := lo; o < hi; o++ {
		xs, gs, os := x[o*c+c0:(o+1)*c], gy[o*c+c0:(o+1)*c], out[o*c+c0:(o+1)*c]
		gs, os = gs[:len(xs)], os[:len(xs)]
		ka, kb, kc := ka[c0:c0+len(xs)], kb[c0:c0+len(xs)], kc[c0:c0+len(xs)]
		for ch, e := range xs {
			os[ch] = ka[ch]*gs[ch] + kb[ch]*e + kc[ch]
		}
	}
}
