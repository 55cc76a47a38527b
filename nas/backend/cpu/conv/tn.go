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

// spatialGradFits reports whether q is the kernel gradient of a
// convolution with a kernel larger than 1x1 (any padding, its stride as
// q's kernel dilation) on NHWC operands laid out as for
// pointwiseGradFits, with whole panels of input channels and output
// gradient rows of at least spatialMinRow positions: then spatialGrad
// computes it from x in place. (Shorter rows make micro kernel calls of a
// few steps each, slower than the GEMM on the AVX2 path.)
func (q *problem) spatialGradFits() bool {
	return (q.ho > 1 || q.wo > 1) && q.kw >= spatialMinRow && q.sh == 1 && q.sw == 1 && q.dh == 1 && q.dw == 1 &&
		q.groups == 1 && q.bgc == 1 && q.nb%mr == 0 &&
		q.xB == 1 && q.xW == q.nb && q.xH == q.w*q.nb && q.xC == q.h*q.w*q.nb &&
		q.kOut == 1 && q.kW == q.cog && q.kH == q.kw*q.cog && q.kIn == q.kh*q.kw*q.cog
}

// spatialDepth is the number of output-gradient positions (whole rows of
// one image) that spatialGrad packs and sums in one block.
const spatialDepth = kcTarget

// spatialMinRow is the shortest output-gradient row spatialGrad takes.
const spatialMinRow = 8

// spatialGrad computes a problem for which spatialGradFits holds as one
// GEMM per kernel tap (th, tw): out[ci, th, tw, co] = sum over the
// positions (n, i, j) of the output gradient dy = k of x[n, th+i*kdh-ph,
// tw+j*kdw-pw, ci] * dy[n, i, j, co], positions that fall in the padding
// left out. The positions go in blocks of whole rows of one image (or of
// whole small images), split into one contiguous range of blocks per
// part; per block and tap column tw, the output gradient's rows (the
// columns j that tw keeps) are packed
// once into panels of B and serve every tap row th and panel of input
// channels, whose A is read in place from x: mr channels at a time (rows
// one value apart), positions kdw*cin values apart, rows of positions
// kdh*w*cin apart (microRowsSeg2). Each block's sums are added into the
// part's tiles in block order and the parts in order at the end, so the
// result does not depend on which goroutine ran which part or on the
// vector width. It returns false, doing nothing, where the build has no
// micro kernel for T (colsOK).
func spatialGrad[T float32 | float64](q *problem, x, k, out []T, workers int) bool {
	if !colsOK[T]() {
		return false
	}
	cin, cout := q.nb, q.cog
	coutP := (cout + nr - 1) / nr * nr
	cinPanels, coPanels := cin/mr, coutP/nr
	taps := q.ho * q.wo
	tileSize := mr * nr
	// A block: rows [i0, i0+rowsPB) of one image or, where an image
	// takes fewer positions than a block, imgsPB whole images.
	rowsPB := max(1, min(q.kh, spatialDepth/max(1, q.kw)))
	imgsPB := 1
	if rowsPB == q.kh {
		imgsPB = max(1, min(q.cig, spatialDepth/max(1, q.kh*q.kw)))
	}
	perImg := (q.kh + rowsPB - 1) / rowsPB
	blocks := (q.cig + imgsPB - 1) / imgsPB * perImg
	parts := max(1, min(workers, blocks))
	accs := make([]*[]T, parts)
	bbufs := make([]*[]T, parts)
	for p := range parts {
		accs[p] = getBuf[T](taps * cinPanels * coPanels * tileSize)
		clear(*accs[p])
		defer putBuf(accs[p])
		bbufs[p] = getBuf[T](coutP * imgsPB * rowsPB * q.kw)
		defer putBuf(bbufs[p])
	}
	spatialGradRuns.Add(1)
	par.For(parts, parts, func(_, part int) {
		acc, bb := *accs[part], *bbufs[part]
		var tile, tile1 [mr * nr]T
		for blk := part * blocks / parts; blk < (part+1)*blocks/parts; blk++ {
			n0, i0 := blk/perImg*imgsPB, blk%perImg*rowsPB
			n1, i1 := min(q.cig, n0+imgsPB), min(q.kh, i0+rowsPB)
			rows := i1 - i0
			for tw := range q.wo {
				jlo, jhi := validTaps(tw, q.kdw, q.pw, q.w, q.kw)
				if jlo >= jhi {
					continue
				}
				kc := jhi - jlo
				// B: [panel][image][row][j][nr], zeros past the last
				// channel.
				for c0 := 0; c0 < coutP; c0 += nr {
					nv := min(nr, cout-c0)
					for n := n0; n < n1; n++ {
						for i := i0; i < i1; i++ {
							src := k[((n*q.kh+i)*q.kw+jlo)*cout+c0:]
							dst := bb[((c0/nr*(n1-n0)+n-n0)*rows+i-i0)*kc*nr:][:kc*nr]
							for j := range kc {
								copy(dst[j*nr:j*nr+nv], src[j*cout:][:nv])
								clear(dst[j*nr+nv : (j+1)*nr])
							}
						}
					}
				}
				bs := (n1 - n0) * rows * kc * nr
				for th := range q.ho {
					ilo, ihi := validTaps(th, q.kdh, q.ph, q.h, q.kh)
					ilo, ihi = max(ilo, i0), min(ihi, i1)
					if ilo >= ihi {
						continue
					}
					nseg, ks, segs := ihi-ilo, q.kdw*cin, q.kdh*q.w*cin
					tiles := acc[(th*q.wo+tw)*cinPanels*coPanels*tileSize:]
					for ci0 := 0; ci0 < cin; ci0 += mr {
						for c0 := 0; c0 < coutP; c0 += 2 * nr {
							t0 := tiles[(ci0/mr*coPanels+c0/nr)*tileSize:]
							// One call per image, each going on from the
							// last's sums.
							for n := n0; n < n1; n++ {
								a := x[((n*q.h+th+ilo*q.kdh-q.ph)*q.w+tw+jlo*q.kdw-q.pw)*cin+ci0:]
								bp := bb[((c0/nr*(n1-n0)+n-n0)*rows+ilo-i0)*kc*nr:]
								if c0+nr < coutP {
									microRowsSeg2(kc, nseg, a, 1, ks, segs, bp, bs, &tile, &tile1, n > n0)
								} else {
									microRowsSeg(kc, nseg, a, 1, ks, segs, bp[:nseg*kc*nr], &tile, n > n0)
								}
							}
							addRow(t0[:tileSize], tile[:])
							if c0+nr < coutP {
								addRow(t0[tileSize:2*tileSize], tile1[:])
							}
						}
					}
				}
			}
		}
	})
	par.For(workers, cin, func(_, ci int) {
		for tap := range taps {
			th, tw := tap/q.wo, tap%q.wo
			for co := range cout {
				at := ((tap*cinPanels+ci/mr)*coPanels+co/nr)*tileSize + ci%mr*nr + co%nr
				var s T
				for _, a := range accs {
					s += (*a)[at]
				}
				out[ci*q.oB+th*q.oH+tw*q.oW+co*q.oC] = s
			}
		}
	})
	return true
}

// validTaps returns the range [lo, hi) of the n kernel positions i for
// which output t reads inside an input of size positions: 0 <= t +
// i*d - p < size.
func validTaps(t, d, p, size, n int) (lo, hi int) {
	lo = max(0, (p-t+d-1)/d)
	hi = min(n, (size-1-t+p)/d+1)
	if size-1-t+p < 0 {
		hi = 0
	}
	return lo, hi
}
