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

// statsScalar is kernels.stats for features [c0, c), 4 features at a
// time with their sums in registers, then one at a time.
// The products below are converted explicitly: a conversion rounds, so
// the compiler cannot fuse them with the additions into FMAs (it may on
// GOAMD64=v3), and the plain loops give the same bits as the vector ones,
// which multiply and add separately.

func statsScalar[T float32 | float64](x []T, c, c0 int, k, s1, s2 []float64, lo, hi int) {
	ch := c0
	for ; ch+4 <= c; ch += 4 {
		k := k[ch : ch+4]
		t0, t1, t2, t3 := s1[ch], s1[ch+1], s1[ch+2], s1[ch+3]
		u0, u1, u2, u3 := s2[ch], s2[ch+1], s2[ch+2], s2[ch+3]
		for o := lo; o < hi; o++ {
			r := x[o*c+ch : o*c+ch+4]
			d0, d1 := float64(r[0])-k[0], float64(r[1])-k[1]
			d2, d3 := float64(r[2])-k[2], float64(r[3])-k[3]
			t0, t1, t2, t3 = t0+d0, t1+d1, t2+d2, t3+d3
			u0, u1, u2, u3 = u0+float64(d0*d0), u1+float64(d1*d1), u2+float64(d2*d2), u3+float64(d3*d3)
		}
		s1[ch], s1[ch+1], s1[ch+2], s1[ch+3] = t0, t1, t2, t3
		s2[ch], s2[ch+1], s2[ch+2], s2[ch+3] = u0, u1, u2, u3
	}
	for ; ch < c; ch++ {
		kc, t, u := k[ch], s1[ch], s2[ch]
		for o := lo; o < hi; o++ {
			d := float64(x[o*c+ch]) - kc
			t += d
			u += float64(d * d)
		}
		s1[ch], s2[ch] = t, u
	}
}

// gradSumsScalar is kernels.gradSums for features [c0, c), 4 features at
// a time with their sums in registers, then one at a time.
func gradSumsScalar[T float32 | float64](x, gy []T, c, c0 int, m, sg, sgx []float64, lo, hi int) {
	ch := c0
	for ; ch+4 <= c; ch += 4 {
		m := m[ch : ch+4]
		t0, t1, t2, t3 := sg[ch], sg[ch+1], sg[ch+2], sg[ch+3]
		u0, u1, u2, u3 := sgx[ch], sgx[ch+1], sgx[ch+2], sgx[ch+3]
		for o := lo; o < hi; o++ {
			r, g := x[o*c+ch:o*c+ch+4], gy[o*c+ch:o*c+ch+4]
			g0, g1, g2, g3 := float64(g[0]), float64(g[1]), float64(g[2]), float64(g[3])
			t0, t1, t2, t3 = t0+g0, t1+g1, t2+g2, t3+g3
			u0 += float64(g0 * (float64(r[0]) - m[0]))
			u1 += float64(g1 * (float64(r[1]) - m[1]))
			u2 += float64(g2 * (float64(r[2]) - m[2]))
			u3 += float64(g3 * (float64(r[3]) - m[3]))
		}
		sg[ch], sg[ch+1], sg[ch+2], sg[ch+3] = t0, t1, t2, t3
		sgx[ch], sgx[ch+1], sgx[ch+2], sgx[ch+3] = u0, u1, u2, u3
	}
	for ; ch < c; ch++ {
		mc, t, u := m[ch], sg[ch], sgx[ch]
		for o := lo; o < hi; o++ {
			g := float64(gy[o*c+ch])
			t += g
			u += float64(g * (float64(x[o*c+ch]) - mc))
		}
		sg[ch], sgx[ch] = t, u
	}
}

// affineScalar is kernels.affine for features [c0, c).
func affineScalar[T float32 | float64](x, y, a, b []T, c, c0, lo, hi int) {
	for o := lo; o < hi; o++ {
		xs, ys := x[o*c+c0:(o+1)*c], y[o*c+c0:(o+1)*c]
		ys, a, b := ys[:len(xs)], a[c0:c0+len(xs)], b[c0:c0+len(xs)]
		for ch, e := range xs {
			ys[ch] = T(e*a[ch]) + b[ch]
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
			os[ch] = T(ka[ch]*gs[ch]) + T(kb[ch]*e) + kc[ch]
		}
	}
}
