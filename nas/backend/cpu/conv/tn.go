package conv

import "github.com/trgnas/trgnas/nas/backend/cpu/internal/par"

// spatialGradFits reports whether q is the kernel gradient of a
// convolution (any kernel size and padding, its stride as q's kernel
// dilation) on NHWC operands: x is [n, h, w, cin] seen with its channels
// as the batch (nb = cin) and its batch as the contracted channels, the
// kernel is the output gradient dy [n, kh, kw, cout], and the output is
// one value per (cin, tap, cout). Then spatialGrad computes it from x in
// place: 1x1 kernels (whose rows follow each other in x), and larger
// ones with whole panels of input channels and output-gradient rows of at
// least spatialMinRow positions. (Shorter rows make micro kernel calls of
// a few steps each, and a stem's 3 channels waste most of a panel: the
// GEMM is faster there.)
func (q *problem) spatialGradFits() bool {
	rowsJoin := q.ho == 1 && q.wo == 1 && q.pw == 0 && q.kdw*q.kw == q.kdh*q.w
	return (rowsJoin || q.kw >= spatialMinRow && q.nb%mr == 0) && q.sh == 1 && q.sw == 1 && q.dh == 1 && q.dw == 1 &&
		q.groups == 1 && q.bgc == 1 &&
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
// whole small images), one contiguous range of blocks per part. Per block
// and tap column tw, the output gradient's rows (the columns j that tw
// keeps) are packed once into panels of B, which serve every tap row th
// and panel of input channels. A is read in place from x: mr channels
// (rows one value apart), positions kdw*cin values apart, rows of
// positions kdh*w*cin apart (microRowsSeg2); a last panel of fewer than
// mr channels is copied into a zero-padded block first. Each block's sums
// are added into the part's tiles in block order and the parts in order
// at the end, so the result does not depend on which goroutine ran which
// part or on the vector width. It returns false, doing nothing, where the
// build has no micro kernel for T (colsOK).
func spatialGrad[T float32 | float64](q *problem, x, k, out []T, workers int) bool {
	if !colsOK[T]() {
		return false
	}
	cin, cout := q.nb, q.cog
	coutP := (cout + nr - 1) / nr * nr
	cinPanels, coPanels := (cin+mr-1)/mr, coutP/nr
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
	bSize := imgsPB * rowsPB * q.kw
	accs := make([]*[]T, parts)
	bbufs := make([]*[]T, parts)
	for p := range parts {
		accs[p] = getBuf[T](taps * cinPanels * coPanels * tileSize)
		clear(*accs[p])
		defer putBuf(accs[p])
		bbufs[p] = getBuf[T](bSize * (coutP + mr))
		defer putBuf(bbufs[p])
	}
	spatialGradRuns.Add(1)
	par.For(parts, parts, func(_, part int) {
		acc, bb := *accs[part], *bbufs[part]
		cols := bb[bSize*coutP:][:bSize*mr] // the copied partial panel
		var tile, tile1 [mr * nr]T
		for blk := part * blocks / parts; blk < (part+1)*blocks/parts; blk++ {
			n0, i0 := blk/perImg*imgsPB, blk%perImg*rowsPB
			n1, i1 := min(q.cig, n0+imgsPB), min(q.kh, i0+rowsPB)
			imgs, rows := n1-n0, i1-i0
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
							dst := bb[((c0/nr*imgs+n-n0)*rows+i-i0)*kc*nr:][:kc*nr]
							for j := range kc {
								copy(dst[j*nr:j*nr+nv], src[j*cout:][:nv])
								clear(dst[j*nr+nv : (j+1)*nr])
							}
						}
					}
				}
				bs := imgs * rows * kc * nr
				for th := range q.ho {
					ilo, ihi := validTaps(th, q.kdh, q.ph, q.h, q.kh)
					ilo, ihi = max(ilo, i0), min(ihi, i1)
					if ilo >= ihi {
						continue
					}
					nseg := ihi - ilo
					// B's images follow each other where every row is used.
					bJoin := ilo == i0 && ihi == i1
					x0 := ((n0*q.h+th+ilo*q.kdh-q.ph)*q.w + tw + jlo*q.kdw - q.pw) * cin
					tiles := acc[(th*q.wo+tw)*cinPanels*coPanels*tileSize:]
					for ci0 := 0; ci0 < cin; ci0 += mr {
						// A of image n0: a, its steps ks, rows segs and
						// images img values apart.
						a, ks, segs, img := x[x0+ci0:], q.kdw*cin, q.kdh*q.w*cin, q.h*q.w*cin
						if nv := cin - ci0; nv < mr {
							for n := range imgs {
								for s := range nseg {
									for j := range kc {
										d := cols[((n*nseg+s)*kc+j)*mr:][:mr]
										copy(d, a[n*img+s*segs+j*ks:][:nv])
										clear(d[nv:])
									}
								}
							}
							a, ks, segs, img = cols, mr, kc*mr, nseg*kc*mr
						}
						// Join rows, then images, into one segment where
						// they follow each other in A and B: the same
						// sums in the same order, in fewer calls.
						steps, segN, calls := kc, nseg, imgs
						if segs == kc*ks {
							steps, segN = kc*nseg, 1
							if bJoin && img == steps*ks {
								steps, calls = steps*imgs, 1
							}
						}
						for c0 := 0; c0 < coutP; c0 += 2 * nr {
							t0 := tiles[(ci0/mr*coPanels+c0/nr)*tileSize:]
							// Each call goes on from the last's sums.
							for m := range calls {
								am := a[m*img:]
								bp := bb[((c0/nr*imgs+m)*rows+ilo-i0)*kc*nr:]
								if c0+nr < coutP {
									microRowsSeg2(steps, segN, am, 1, ks, segs, bp, bs, &tile, &tile1, nil, m > 0, halfPanel(cout, c0+nr))
								} else {
									microRowsSeg(steps, segN, am, 1, ks, segs, bp[:segN*steps*nr], &tile, nil, m > 0)
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
