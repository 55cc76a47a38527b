package conv

import (
	"unsafe"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/par"
)

// depthwise computes q when every group has one input channel (cig == 1):
// for each output position, the taps' input rows (all channels, contiguous
// in the canonical layout) times the kernel rows, channels innermost. Taps
// on padding or on the holes of an input dilation are skipped.
func depthwise[T float32 | float64](q *problem, xc, k, out []T, workers int) {
	// With an input dilation the copy is of the small, undilated input
	// while the border outputs it saves are many: pad. Without one the
	// copy costs more than the border outputs.
	if q.cog == 1 && (q.dh > 1 || q.dw > 1) {
		var buf *[]T
		if q, buf = padDepthwise(q, xc, workers); buf != nil {
			defer putBuf(buf)
			xc = *buf
		}
	}
	workers = max(1, workers)
	d := newDwRows(q, xc, k, workers)
	defer d.release()
	co := d.co
	accs := make([]*[]T, workers)
	for w := range accs {
		accs[w] = getBuf[T](q.wo * co)
		defer putBuf(accs[w])
	}
	// With output channels and columns contiguous, rows are computed in
	// place.
	inPlace := q.oC == 1 && q.oW == co
	// Rows of a few thousand multiply-adds are handed out in blocks.
	block := par.Block(q.nb*q.ho, workers, q.wo*co*q.kh*q.kw, minItemWork)
	par.ForBlocks(workers, q.nb*q.ho, block, func(w, row int) {
		b, oh := row/q.ho, row%q.ho
		acc := (*accs[w])[:q.wo*co]
		if inPlace {
			acc = out[b*q.oB+oh*q.oH:][:q.wo*co]
		}
		d.row(w, row, acc)
		if inPlace {
			return
		}
		for ow := range q.wo {
			base := b*q.oB + oh*q.oH + ow*q.oW
			a := acc[ow*co : (ow+1)*co]
			if q.oC == 1 {
				copy(out[base:base+co], a)
				continue
			}
			for o, v := range a {
				out[base+o*q.oC] = v
			}
		}
	})
}

// dwRows is a depthwise problem (cig == 1) on its canonical input, set up
// to compute its output one row (image b, output row oh) at a time, by up
// to workers goroutines at once: the kernel as [kh][kw][co] and the tap
// lists of the window positions.
type dwRows[T float32 | float64] struct {
	q              *problem
	xc, kd         []T
	kbuf           *[]T
	co             int
	relX, relK     [][]int
	dense          bool
	denseX, denseK []int
	wq, wr, wis    []int
	colX, colK     [][]int
	taps, edge     [][]int // per worker: input offsets, kernel offsets, input rows; a border row's taps
}

func newDwRows[T float32 | float64](q *problem, xc, k []T, workers int) *dwRows[T] {
	co := q.groups * q.cog
	d := &dwRows[T]{q: q, xc: xc, co: co}
	// Kernel as [kh][kw][co].
	d.kbuf = getBuf[T](q.kh * q.kw * co)
	kd := *d.kbuf
	d.kd = kd
	for i := range q.kh {
		for j := range q.kw {
			dst := kd[(i*q.kw+j)*co:][:co]
			src := i*q.kH + j*q.kW
			for o := range dst {
				dst[o] = k[src+o*q.kOut]
			}
		}
	}
	// For windows entirely inside the (dilated) input, the taps that land
	// on input values depend only on the window corner's residues modulo
	// the input dilations: their offsets from the corner's input value are
	// fixed, one list per residue pair.
	d.relX, d.relK = make([][]int, q.dh*q.dw), make([][]int, q.dh*q.dw)
	for rh := range q.dh {
		for rw := range q.dw {
			var rx, rk []int
			for i := range q.kh {
				if (rh+i*q.kdh)%q.dh != 0 {
					continue
				}
				for j := range q.kw {
					if (rw+j*q.kdw)%q.dw != 0 {
						continue
					}
					rx = append(rx, ((rh+i*q.kdh)/q.dh*q.w+(rw+j*q.kdw)/q.dw)*q.cin)
					rk = append(rk, (i*q.kw+j)*co)
				}
			}
			d.relX[rh*q.dw+rw], d.relK[rh*q.dw+rw] = rx, rk
		}
	}
	d.dense, d.denseX, d.denseK = q.dh == 1 && q.dw == 1, d.relX[0], d.relK[0]
	// Per output column: the corner's input column and residue, or -1 if
	// the window is not entirely inside.
	d.wq, d.wr = make([]int, q.wo), make([]int, q.wo)
	for ow := range q.wo {
		wd0 := ow*q.sw - q.pw
		d.wq[ow], d.wr[ow] = -1, 0
		if wd0 >= 0 && wd0+(q.kw-1)*q.kdw < q.dilatedW {
			d.wq[ow], d.wr[ow] = wd0/q.dw, wd0%q.dw
		}
	}
	// Input column of each output column and kernel column (-1: none).
	d.wis = make([]int, q.wo*q.kw)
	for ow := range q.wo {
		for j := range q.kw {
			d.wis[ow*q.kw+j] = q.tapW(ow, j)
		}
	}
	// Tap lists of the edge columns (windows crossing the left or right
	// edge) of dense rows inside the input: input offsets from the
	// row's first input value, kernel offsets.
	d.colX, d.colK = make([][]int, q.wo), make([][]int, q.wo)
	if d.dense {
		for ow := range q.wo {
			if d.wq[ow] >= 0 {
				continue
			}
			for i := range q.kh {
				for j := range q.kw {
					if wi := d.wis[ow*q.kw+j]; wi >= 0 {
						d.colX[ow] = append(d.colX[ow], (i*q.kdh*q.w+wi)*q.cin)
						d.colK[ow] = append(d.colK[ow], (i*q.kw+j)*co)
					}
				}
			}
		}
	}
	d.taps, d.edge = make([][]int, workers), make([][]int, workers)
	for w := range d.taps {
		d.taps[w] = make([]int, 2*q.kh*q.kw+q.kh)
		d.edge[w] = make([]int, 2*q.kh*q.kw)
	}
	return d
}

// release gives back the kernel's buffer.
func (d *dwRows[T]) release() { putBuf(d.kbuf) }

// row computes output row row (image row/ho, output row row%ho) into acc,
// [wo][co], as worker w.
func (d *dwRows[T]) row(w, row int, acc []T) { d.rowFrom(w, d.xc, row, acc) }

// rowFrom is row reading the input from xc instead of the problem's own
// (a worker's copy of one image, with row counted from it).
func (d *dwRows[T]) rowFrom(w int, xc []T, row int, acc []T) {
	q, kd, co := d.q, d.kd, d.co
	relX, relK, wq, wr := d.relX, d.relK, d.wq, d.wr
	dense := d.dense
	b, oh := row/q.ho, row%q.ho
	his := d.taps[w][2*q.kh*q.kw:]
	for i := range q.kh {
		his[i] = q.tapH(oh, i)
	}
	hd0 := oh*q.sh - q.ph
	rowInside := q.cog == 1 && hd0 >= 0 && hd0+(q.kh-1)*q.kdh < q.dilatedH
	hq, hr := 0, 0
	if rowInside {
		hq, hr = hd0/q.dh, hd0%q.dh
	}
	// Interior columns (a contiguous range): whole rows of vectors.
	// In a dense row whose windows cross the top or bottom edge the
	// interior columns share one tap list: the kernel rows that land
	// on input rows, offsets from the column's first input value in
	// input row 0.
	borderRow := !rowInside && dense && q.cog == 1
	lo, hi, done := 0, 0, 0
	if rowInside || borderRow {
		for lo < q.wo && wq[lo] < 0 {
			lo++
		}
		for hi = lo; hi < q.wo && wq[hi] >= 0; hi++ {
		}
	}
	// Dense rows of stride 1 with undilated kernels 5 or 7 wide start
	// with register-blocked runs of outputs (dwRowDense, the same sums);
	// the other kernels take the rest from lo2 on.
	lo2 := lo
	denseRun := dense && q.sw == 1 && q.kdh == 1 && q.kdw == 1 && hi > lo
	var bx, bk []int
	if borderRow && hi > lo {
		bx, bk = d.edge[w][:0], d.edge[w][q.kh*q.kw:q.kh*q.kw]
		i0, i1 := -1, 0
		for i, hrow := range his {
			if hrow < 0 {
				continue
			}
			if i0 < 0 {
				i0 = i
			}
			i1 = i + 1
			for j := range q.kw {
				bx = append(bx, (hrow*q.w+j*q.kdw)*q.cin)
				bk = append(bk, (i*q.kw+j)*co)
			}
		}
		if denseRun && i0 >= 0 {
			lo2 += dwRowDense(xc, (b*q.h*q.w+his[i0]*q.w+wq[lo])*q.cin, q.w*q.cin, q.cin, kd, i0*q.kw*co, i1-i0, q.kw, co, hi-lo, acc[lo*co:])
		}
		if lo2 == hi {
			done = co / 8 * 8 // dwRowDense's channels
		} else {
			done = dwRowTaps(xc, (b*q.h*q.w+wq[lo2])*q.cin, q.sw*q.cin, bx, kd, bk, co, hi-lo2, acc[lo2*co:], co)
		}
	} else if hi > lo {
		if denseRun {
			lo2 += dwRowDense(xc, ((b*q.h+hq)*q.w+wq[lo])*q.cin, q.w*q.cin, q.cin, kd, 0, q.kh, q.kw, co, hi-lo, acc[lo*co:])
		}
		switch {
		case lo2 == hi:
			done = co / 8 * 8 // dwRowDense's channels
		case dense && q.kh == 3 && q.kw == 3 && q.kdh == 1 && q.kdw == 1:
			done = dwRow3(xc, ((b*q.h+hq)*q.w+wq[lo2])*q.cin, q.sw*q.cin, q.w*q.cin, q.cin, kd, co, hi-lo2, acc[lo2*co:])
		default:
			done = dwRowPhases(q, xc, kd, relX, relK, wq, wr, ((b*q.h+hq)*q.w)*q.cin, hr, lo2, hi, acc)
		}
	}
	for ow := 0; ow < q.wo; ow++ {
		if ow == lo && hi > lo && done > 0 {
			// The interior columns: only the channels past the vectors'
			// are left, if any.
			for ; done < co && ow < hi; ow++ {
				a := acc[ow*co : (ow+1)*co]
				if borderRow {
					dwPointScalar(xc[(b*q.h*q.w+wq[ow])*q.cin:], kd, bx, bk, a, done)
				} else {
					r := hr*q.dw + wr[ow]
					dwPointScalar(xc[((b*q.h+hq)*q.w+wq[ow])*q.cin:], kd, relX[r], relK[r], a, done)
				}
			}
			ow = hi - 1
			continue
		}
		a := acc[ow*co : (ow+1)*co]
		if rowInside && dense && wq[ow] < 0 {
			dwPoint(xc[(b*q.h+hq)*q.w*q.cin:], kd, d.colX[ow], d.colK[ow], a)
			continue
		}
		if rowInside && wq[ow] >= 0 {
			if dense {
				dwPoint(xc[((b*q.h+hq)*q.w+wq[ow])*q.cin:], kd, d.denseX, d.denseK, a)
				continue
			}
			r := hr*q.dw + wr[ow]
			dwPoint(xc[((b*q.h+hq)*q.w+wq[ow])*q.cin:], kd, relX[r], relK[r], a)
			continue
		}
		n := 0
		xo, ko := d.taps[w][:q.kh*q.kw], d.taps[w][q.kh*q.kw:2*q.kh*q.kw]
		for i, hi := range his {
			if hi < 0 {
				continue
			}
			for j := range q.kw {
				wi := d.wis[ow*q.kw+j]
				if wi < 0 {
					continue
				}
				xo[n], ko[n] = ((b*q.h+hi)*q.w+wi)*q.cin, (i*q.kw+j)*co
				n++
			}
		}
		if q.cog == 1 {
			dwPoint(xc, kd, xo[:n], ko[:n], a)
		} else {
			dwPointMultiplier(xc, kd, xo[:n], ko[:n], a, q.cog)
		}
	}
}

// dwRowPhases computes the interior columns [lo, hi) of one output row
// of a depthwise problem with one output channel per group (the window
// rows start at input row offset xRow, residue hr modulo the input
// dilation) with dwRowTaps, and returns how many channels it did (0 if
// it did not apply). The columns' residues modulo the input dilation
// repeat with period dw/gcd(sw, dw): each phase of that period is one
// row of its own taps (only those that land on input values), its
// columns period apart and its windows period*sw/dw input columns apart.
func dwRowPhases[T float32 | float64](q *problem, xc, kd []T, relX, relK [][]int, wq, wr []int, xRow, hr, lo, hi int, acc []T) int {
	co := q.groups * q.cog
	period := q.dw / gcd(q.sw, q.dw)
	colStep := period * q.sw / q.dw * q.cin
	done := -1
	for ow0 := lo; ow0 < min(hi, lo+period); ow0++ {
		r := hr*q.dw + wr[ow0]
		n := (hi - ow0 + period - 1) / period
		d := dwRowTaps(xc, xRow+wq[ow0]*q.cin, colStep, relX[r], kd, relK[r], co, n, acc[ow0*co:], period*co)
		if d == 0 {
			return 0
		}
		done = d
	}
	return max(done, 0)
}

// gcd returns the greatest common divisor of two positive ints.
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// tapH returns the input row of output row oh and kernel row i, or -1 if
// it falls on padding or a dilation hole.
func (q *problem) tapH(oh, i int) int { return tap(oh, i, q.sh, q.ph, q.kdh, q.dilatedH, q.dh) }

// tapW is tapH for columns.
func (q *problem) tapW(ow, j int) int { return tap(ow, j, q.sw, q.pw, q.kdw, q.dilatedW, q.dw) }

// tap returns the input index that output index o and kernel index i read
// along one spatial axis (stride s, low padding p, kernel dilation kd,
// input dilation d, dilated input size dilated), or -1 on padding or a
// dilation hole.
func tap(o, i, s, p, kd, dilated, d int) int {
	x := o*s - p + i*kd
	if x < 0 || x >= dilated {
		return -1
	}
	if d == 1 {
		return x
	}
	if x%d != 0 {
		return -1
	}
	return x / d
}

// dwPointScalar computes the channels [c0, len(a)) of one output
// position of a depthwise problem with one output channel per group:
// a[c] = sum over taps t of xc[xo[t]+c] * kd[ko[t]+c], eight channels at
// a time in registers.
func dwPointScalar[T float32 | float64](xc, kd []T, xo, ko []int, a []T, c0 int) {
	co := len(a)
	ko = ko[:len(xo)]
	for ; c0+8 <= co; c0 += 8 {
		var a0, a1, a2, a3, a4, a5, a6, a7 T
		for t, x0 := range xo {
			xr := xc[x0+c0 : x0+c0+8 : x0+c0+8]
			kr := kd[ko[t]+c0 : ko[t]+c0+8 : ko[t]+c0+8]
			a0 += xr[0] * kr[0]
			a1 += xr[1] * kr[1]
			a2 += xr[2] * kr[2]
			a3 += xr[3] * kr[3]
			a4 += xr[4] * kr[4]
			a5 += xr[5] * kr[5]
			a6 += xr[6] * kr[6]
			a7 += xr[7] * kr[7]
		}
		r := a[c0 : c0+8 : c0+8]
		r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] = a0, a1, a2, a3, a4, a5, a6, a7
	}
	for ; c0+4 <= co; c0 += 4 {
		var a0, a1, a2, a3 T
		for t, x0 := range xo {
			xr := xc[x0+c0 : x0+c0+4 : x0+c0+4]
			kr := kd[ko[t]+c0 : ko[t]+c0+4 : ko[t]+c0+4]
			a0 += xr[0] * kr[0]
			a1 += xr[1] * kr[1]
			a2 += xr[2] * kr[2]
			a3 += xr[3] * kr[3]
		}
		r := a[c0 : c0+4 : c0+4]
		r[0], r[1], r[2], r[3] = a0, a1, a2, a3
	}
	for ; c0 < co; c0++ {
		var s T
		for t, x0 := range xo {
			s += xc[x0+c0] * kd[ko[t]+c0]
		}
		a[c0] = s
	}
}

// dwPointMultiplier is dwPointScalar for cog output channels per group.
func dwPointMultiplier[T float32 | float64](xc, kd []T, xo, ko []int, a []T, cog int) {
	clear(a)
	groups := len(a) / cog
	for t, x0 := range xo {
		xr := xc[x0 : x0+groups]
		kr := kd[ko[t] : ko[t]+len(a)]
		for g, xv := range xr {
			ag := a[g*cog : (g+1)*cog]
			for m, kv := range kr[g*cog : (g+1)*cog] {
				ag[m] += xv * kv
			}
		}
	}
}

// groupedDot computes q when every group has one output channel and
// several input channels (the depthwise kernel gradient written with
// batch groups): each output value is a sum over taps of dot products of
// cig contiguous input channels with cig contiguous kernel values. Work
// items are blocks of groups small enough that their input stays in L2;
// each runs over all taps and output positions.
func groupedDot[T float32 | float64](q *problem, xc, k, out []T, workers int) {
	// Kernel as [kh][kw][groups][cig].
	kbuf := getBuf[T](q.kh * q.kw * q.groups * q.cig)
	defer putBuf(kbuf)
	kd := *kbuf
	for i := range q.kh {
		for j := range q.kw {
			for g := range q.groups {
				dst := kd[((i*q.kw+j)*q.groups+g)*q.cig:][:q.cig]
				src := i*q.kH + j*q.kW + g*q.kOut
				if q.kIn == 1 {
					copy(dst, k[src:src+q.cig])
					continue
				}
				for c := range dst {
					dst[c] = k[src+c*q.kIn]
				}
			}
		}
	}
	var zero T
	elem := int(unsafe.Sizeof(zero))
	gBlock := max(1, min(q.groups, (512<<10)/(q.nb*q.h*q.w*q.cig*elem)))
	nGB := (q.groups + gBlock - 1) / gBlock
	positions := q.nb * q.ho * q.wo
	workers = max(1, min(workers, nGB))
	accs := make([]*[]T, workers)
	for w := range accs {
		accs[w] = getBuf[T](positions * gBlock * 8)
		defer putBuf(accs[w])
	}
	par.For(workers, nGB, func(w, gb int) {
		g0, g1 := gb*gBlock, min(q.groups, (gb+1)*gBlock)
		ng := g1 - g0
		acc := (*accs[w])[:positions*ng*8] // 8 partial sums per value
		clear(acc)
		for i := range q.kh {
			for j := range q.kw {
				kr := kd[((i*q.kw+j)*q.groups+g0)*q.cig:][:ng*q.cig]
				for pos := range positions {
					b, oh, ow := pos/(q.ho*q.wo), pos/q.wo%q.ho, pos%q.wo
					hd := oh*q.sh - q.ph + i*q.kdh
					if hd < 0 || hd >= q.dilatedH || hd%q.dh != 0 {
						continue
					}
					wd := ow*q.sw - q.pw + j*q.kdw
					if wd < 0 || wd >= q.dilatedW || wd%q.dw != 0 {
						continue
					}
					xr := xc[((b*q.h+hd/q.dh)*q.w+wd/q.dw)*q.cin+g0*q.cig:][:ng*q.cig]
					for g := range ng {
						dotAcc((*[8]T)(acc[(pos*ng+g)*8:]), xr[g*q.cig:(g+1)*q.cig], kr[g*q.cig:(g+1)*q.cig])
					}
				}
			}
		}
		for pos := range positions {
			b, oh, ow := pos/(q.ho*q.wo), pos/q.wo%q.ho, pos%q.wo
			base := b*q.oB + oh*q.oH + ow*q.oW
			for g := range ng {
				a := acc[(pos*ng+g)*8:][:8]
				out[base+(g0+g)*q.oC] = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]))
			}
		}
	})
}

// dotAccScalar adds the products x[i]*y[i] into the 8 partial sums acc
// (lane i%8; len(y) >= len(x)).
func dotAccScalar[T float32 | float64](acc *[8]T, x, y []T) {
	n := len(x)
	y = y[:n]
	a0, a1, a2, a3 := acc[0], acc[1], acc[2], acc[3]
	a4, a5, a6, a7 := acc[4], acc[5], acc[6], acc[7]
	i := 0
	for ; i+8 <= n; i += 8 {
		xx := x[i : i+8 : i+8]
		yy := y[i : i+8 : i+8]
		a0 += xx[0] * yy[0]
		a1 += xx[1] * yy[1]
		a2 += xx[2] * yy[2]
		a3 += xx[3] * yy[3]
		a4 += xx[4] * yy[4]
		a5 += xx[5] * yy[5]
		a6 += xx[6] * yy[6]
		a7 += xx[7] * yy[7]
	}
	for ; i < n; i++ {
		a0 += x[i] * y[i]
	}
	*acc = [8]T{a0, a1, a2, a3, a4, a5, a6, a7}
}

// batchDepthwiseFits reports whether q is a depthwise kernel gradient in
// batch-group form whose groups are contiguous in both operands: one
// output batch, one output channel per batch group, the input's batch
// axis and the kernel's output-channel axis innermost (x and the output
// gradient both NHWC).
func (q *problem) batchDepthwiseFits() bool {
	return q.bgc > 1 && q.nb == 1 && q.cog == 1 && q.xB == 1 && q.kOut == 1
}

// batchDepthwise computes a problem for which batchDepthwiseFits holds on
// the original operands, without copies: for each output position and
// each input channel n (the contracted axis), the valid taps' rows of all
// groups are contiguous in x and k, so dwPoint sums them with the groups
// innermost. The input channels are split into one contiguous range per
// worker, each summed into its own accumulator, and the accumulators are
// added up in order at the end: the result does not depend on which
// goroutine ran which range.
func batchDepthwise[T float32 | float64](q *problem, x, k, out []T, workers int) {
	g := q.groups
	positions := q.ho * q.wo
	parts := max(1, min(workers, q.cig))
	accs := make([]*[]T, parts)
	taps := make([][]int, parts)
	for p := range accs {
		accs[p] = getBuf[T](positions*g + g)
		clear(*accs[p])
		defer putBuf(accs[p])
		taps[p] = make([]int, 2*q.kh*q.kw)
	}
	par.For(parts, parts, func(_, p int) {
		buf := *accs[p]
		acc, tmp := buf[:positions*g], buf[positions*g:][:g]
		if q.dh == 1 && q.dw == 1 {
			batchDepthwiseRuns(q, x, k, acc, p*q.cig/parts, (p+1)*q.cig/parts)
			return
		}
		xo, ko := taps[p][:q.kh*q.kw], taps[p][q.kh*q.kw:]
		for n := p * q.cig / parts; n < (p+1)*q.cig/parts; n++ {
			for pos := range positions {
				oh, ow := pos/q.wo, pos%q.wo
				nt := 0
				for i := range q.kh {
					hi := q.tapH(oh, i)
					if hi < 0 {
						continue
					}
					for j := range q.kw {
						wi := q.tapW(ow, j)
						if wi < 0 {
							continue
						}
						xo[nt] = n*q.xC + hi*q.xH + wi*q.xW
						ko[nt] = n*q.kIn + i*q.kH + j*q.kW
						nt++
					}
				}
				dwPoint(x, k, xo[:nt], ko[:nt], tmp)
				a := acc[pos*g : (pos+1)*g]
				for c, v := range tmp {
					a[c] += v
				}
			}
		}
	})
	for pos := range positions {
		oh, ow := pos/q.wo, pos%q.wo
		base := oh*q.oH + ow*q.oW
		for c := range g {
			var s T
			for _, acc := range accs {
				s += (*acc)[pos*g+c]
			}
			out[base+c*q.oC] = s
		}
	}
}

// batchDepthwiseRuns adds to acc ([positions][groups]) the terms of
// batchDepthwise for the input channels [n0, n1) of a problem without
// input dilation: for each output position and kernel row, the valid
// kernel columns are one run, and x and k advance by fixed steps along it,
// so dwDotRun sums it 8 groups at a time. Each position's sum takes its
// terms in the same order whichever loop is outside.
func batchDepthwiseRuns[T float32 | float64](q *problem, x, k, acc []T, n0, n1 int) {
	g := q.groups
	xs, ks := q.kdw*q.xW, q.kW
	// The valid kernel columns of each output column: [jLo, jHi).
	cols := make([]int, 2*q.wo)
	for ow := range q.wo {
		jLo, jHi := 0, q.kw
		for jLo < jHi && q.tapW(ow, jLo) < 0 {
			jLo++
		}
		for jHi > jLo && q.tapW(ow, jHi-1) < 0 {
			jHi--
		}
		cols[2*ow], cols[2*ow+1] = jLo, jHi
	}
	term := func(n, i, pos int) {
		oh, ow := pos/q.wo, pos%q.wo
		jLo, jHi := cols[2*ow], cols[2*ow+1]
		hi := q.tapH(oh, i)
		if jLo == jHi || hi < 0 {
			return
		}
		cnt := jHi - jLo
		a := acc[pos*g : (pos+1)*g]
		xi := n*q.xC + hi*q.xH + q.tapW(ow, jLo)*q.xW
		ki := n*q.kIn + i*q.kH + jLo*q.kW
		for c := dwDotRun(x, xi, xs, k, ki, ks, cnt, a); c < g; c++ {
			var s T
			for t := range cnt {
				s += x[xi+t*xs+c] * k[ki+t*ks+c]
			}
			a[c] += s
		}
	}
	// Where one image of the input and of the output gradient (k) do not
	// stay in cache between positions, the kernel rows go outside: one
	// row of the output gradient and the input rows it meets then serve
	// every position while in cache (BenchmarkConv, dwKernelGrad: 1.5x at
	// 112 channels of 32x32, none at 56 or at 16x16).
	if (q.h*q.w+q.kh*q.kw)*g*int(unsafe.Sizeof(x[0])) > rowsOutsideBytes {
		for n := n0; n < n1; n++ {
			for i := range q.kh {
				for pos := range q.ho * q.wo {
					term(n, i, pos)
				}
			}
		}
		return
	}
	for n := n0; n < n1; n++ {
		for pos := range q.ho * q.wo {
			for i := range q.kh {
				term(n, i, pos)
			}
		}
	}
}

// rowsOutsideBytes is the size of one image of a depthwise kernel
// gradient's input and output gradient from which batchDepthwiseRuns puts
// the kernel rows outside the positions (a variable for the tests).
var rowsOutsideBytes = 640 << 10
