package conv

import "github.com/trgnas/trgnas/nas/backend/cpu/internal/par"

// pointwiseGradFits reports whether q is the kernel gradient of a 1x1
// convolution on NHWC operands: x is [n, h, w, cin] seen with its channels
// as the batch (nb = cin) and its batch as the contracted channels, the
// kernel is the output gradient [n, h, w, cout] covering the whole input,
// and the output is one value per (cin, cout). Then out = X^T DY with X
// [P, cin] and DY [P, cout] row-major, P = n*h*w.
func (q *problem) pointwiseGradFits() bool {
	return q.ho == 1 && q.wo == 1 && q.kh == q.h && q.kw == q.w &&
		q.sh == 1 && q.sw == 1 && q.dh == 1 && q.dw == 1 && q.kdh == 1 && q.kdw == 1 &&
		q.ph == 0 && q.pw == 0 && q.groups == 1 && q.bgc == 1 &&
		q.xB == 1 && q.xW == q.nb && q.xH == q.w*q.nb && q.xC == q.h*q.w*q.nb &&
		q.kOut == 1 && q.kW == q.cog && q.kH == q.kw*q.cog && q.kIn == q.kh*q.kw*q.cog
}

// pointwiseGrad computes a problem for which pointwiseGradFits holds
// straight from the operands (no transposed copy of x): the contracted
// positions are split into one contiguous range per part; each part
// multiplies, per block of kc positions, panels of mr input channels
// (read in place from x's rows by microCols; the last, partial panel is
// copied and zero-padded first) with the packed panels of the
// output gradient into its own accumulator [cin][cout], and the
// accumulators are added up in order at the end, so the result does not
// depend on which goroutine ran which part. It returns false, doing
// nothing, where the build has no column micro kernel for T (colsOK).
func pointwiseGrad[T float32 | float64](q *problem, x, k, out []T, workers int) bool {
	if !colsOK[T]() {
		return false
	}
	cin, cout := q.nb, q.cog
	npos := q.cig * q.h * q.w
	cinP := (cin + mr - 1) / mr * mr
	coutP := (cout + nr - 1) / nr * nr
	const kc = kcTarget
	parts := max(1, min(workers, (npos+kc-1)/kc))
	accs := make([]*[]T, parts)
	bbufs := make([]*[]T, parts)
	wbufs := make([]*[]T, parts)
	for p := range parts {
		accs[p] = getBuf[T](cinP * coutP)
		clear(*accs[p])
		defer putBuf(accs[p])
		bbufs[p] = getBuf[T](kc * coutP)
		defer putBuf(bbufs[p])
		wbufs[p] = getBuf[T](kc * mr)
		defer putBuf(wbufs[p])
	}
	par.For(parts, parts, func(_, part int) {
		acc, bb, cols := *accs[part], *bbufs[part], *wbufs[part]
		var tile, tile1 [mr * nr]T
		p1 := (part + 1) * npos / parts
		for p0 := part * npos / parts; p0 < p1; p0 += kc {
			kcur := min(kc, p1-p0)
			// Panels of nr output channels, [panel][kk][nr].
			for c0 := 0; c0 < cout; c0 += nr {
				nv := min(nr, cout-c0)
				for kk := range kcur {
					dst := bb[(c0/nr*kcur+kk)*nr:][:nr]
					copy(dst, k[(p0+kk)*cout+c0:][:nv])
					clear(dst[nv:])
				}
			}
			for ci0 := 0; ci0 < cin; ci0 += mr {
				rows := min(mr, cin-ci0)
				pa, ld := x[p0*cin+ci0:], cin
				if rows < mr {
					pa, ld = cols[:kcur*mr], mr
					clear(pa)
					for kk := range kcur {
						copy(pa[kk*mr:kk*mr+rows], x[(p0+kk)*cin+ci0:][:rows])
					}
				}
				for c0 := 0; c0 < coutP; c0 += 2 * nr {
					if c0+nr < coutP {
						microCols2(kcur, pa, ld, bb[c0/nr*kcur*nr:], kcur*nr, &tile, &tile1)
					} else {
						microCols(kcur, pa, ld, bb[c0/nr*kcur*nr:][:kcur*nr], &tile)
					}
					for r := range rows {
						addRow(acc[(ci0+r)*coutP+c0:][:nr], tile[r*nr:(r+1)*nr])
						if c0+nr < coutP {
							addRow(acc[(ci0+r)*coutP+c0+nr:][:nr], tile1[r*nr:(r+1)*nr])
						}
					}
				}
			}
		}
	})
	for ci := range cin {
		for co := range cout {
			var s T
			for _, a := range accs {
				s += (*a)[ci*coutP+co]
			}
			out[ci*q.oB+co*q.oC] = s
		}
	}
	return true
}
