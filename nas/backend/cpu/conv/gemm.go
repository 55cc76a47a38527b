package conv

import (
	"sync/atomic"
	"unsafe"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/par"
)

// Block sizes of the GEMM: rows of output per work item, the target depth
// of one packed block of A for gemmConv, and the depth of one block of
// spatialGrad. The register tile mr x nr depends on the build
// (micro_*.go).
const (
	itemRowsMax = 64 // rows of a work item, at most (rounded up to the tile)
	mcRows      = (itemRowsMax + mr - 1) / mr * mr
	kcGemm      = 256
	// kcRows is the depth of a block of whole kernel rows for a GEMM
	// whose panels are all read in place (paddedRows): deeper blocks mean
	// fewer passes of each tile through memory, and there is no packed A
	// to keep in cache. 2048 keeps mix16's 7x7 and 5x5 layers (1568 and
	// 1600 deep) in one block, whose tiles go straight to the output with
	// their epilogue (0.96x the time of two blocks for the 7x7 one).
	kcRows   = 2048
	kcTarget = 128
	// minItemWork is the least work (multiply-adds) of one work item
	// handed out to the workers: a few microseconds.
	minItemWork = 1 << 17
	// splitUnit is the row count in which gemmConv decides how to split
	// its work (the amd64 tile's rows when the decision was made), on
	// every architecture.
	splitUnit = 4
)

// gemmWorkers caps workers at one per unit rows of the largest GEMM.
func gemmWorkers(workers, maxRows, unit int) int {
	return max(1, min(workers, (maxRows+unit-1)/unit))
}

// itemRows is the rows per work item of an m-row GEMM: up to the most a
// buffer holds (itemRowsMax rounded up to unit), at least 4 items per
// worker, a multiple of unit.
func itemRows(m, workers, unit int) int {
	return min((itemRowsMax+unit-1)/unit*unit, max(unit, ((m+4*workers-1)/(4*workers)+unit-1)/unit*unit))
}

// gemmConv computes q as, for each group and each phase of the input
// dilation, one GEMM out[rows, cog] = A[rows, taps*cig] B[taps*cig, cog]
// whose A (im2col of the input) is gathered straight into packed panels.
// With one group and one phase, it runs epi (when not nil) on each work
// item's output rows once their sums are complete, and reports whether it
// did so for every row. With src (a problem whose A is its input's rows,
// rowsInPlace), A's rows are not read from xc but made by src for each
// work item: src(w, m0, m1) returns rows [m0, m1) contiguous, made by
// worker w; work items then start at multiples of align rows.
func gemmConv[T float32 | float64](q *problem, xc, k, out []T, epi *Epilogue[T], workers int, src func(w, m0, m1 int) []T, align int) bool {
	phH := phases(q.ho, q.kh, q.sh, q.dh, q.kdh, q.ph)
	phW := phases(q.wo, q.kw, q.sw, q.dw, q.kdw, q.pw)
	cogP := (q.cog + nr - 1) / nr * nr
	// Taps per packed block: up to the target depth, the taps spread
	// evenly over the blocks.
	tpb := max(1, kcGemm/q.cig)
	maxTaps := 0
	for _, a := range phH {
		for _, b := range phW {
			maxTaps = max(maxTaps, len(a.taps)*len(b.taps))
		}
	}
	tpb = min(tpb, max(maxTaps, 1))
	if blocks := (maxTaps + tpb - 1) / tpb; blocks > 0 {
		tpb = (maxTaps + blocks - 1) / blocks
	}
	depth := kcGemm
	if q.paddedRowsShape() {
		depth = kcRows
	}
	if kr := q.kw * q.cig; len(phH) == 1 && len(phW) == 1 && kr <= depth {
		// Blocks of whole kernel rows, spread evenly: an in-place panel
		// then takes a block in one micro kernel call (directTile). The
		// blocks depend on the shape only, not on whether panels are
		// read in place, so that both ways give the same bits.
		rows := depth / kr
		blocks := (q.kh + rows - 1) / rows
		tpb = (q.kh + blocks - 1) / blocks * q.kw
	}
	bbuf := getBuf[T](maxTaps * q.cig * cogP)
	defer putBuf(bbuf)
	maxRows := 0
	for _, a := range phH {
		for _, b := range phW {
			maxRows = max(maxRows, q.nb*len(a.outs)*len(b.outs))
		}
	}
	// How the work is split decides the order of the sums (splitDepth);
	// it is counted in rows of splitUnit, not of the register tile, so
	// that the tile of a CPU's micro kernel does not change the results.
	splitWorkers := gemmWorkers(workers, maxRows, splitUnit)
	workers = gemmWorkers(workers, maxRows, mr)
	abufs := make([]*[]T, max(workers, splitWorkers))
	aRows := mcRows
	if src != nil {
		aRows = (srcRows(align) + mr - 1) / mr * mr
	}
	for w := range abufs {
		abufs[w] = getBuf[T](aRows * tpb * q.cig)
		defer putBuf(abufs[w])
	}
	rowBuf := getBuf[int](4 * maxRows)
	defer putBuf(rowBuf)
	if q.groups != 1 || len(phH) != 1 || len(phW) != 1 || q.oC != 1 {
		epi = nil
	}
	done := epi != nil
	for g := range q.groups {
		for _, ah := range phH {
			for _, aw := range phW {
				taps := len(ah.taps) * len(aw.taps)
				m := q.nb * len(ah.outs) * len(aw.outs)
				rb := *rowBuf
				rowX, rowHd, rowWd, rowOut := rb[:m], rb[m:2*m], rb[2*m:3*m], rb[3*m:4*m]
				mcSplit := itemRows(m, splitWorkers, splitUnit)
				parts := splitDepth(q, len(phH)*len(phW), splitWorkers, (m+mcSplit-1)/mcSplit, (taps+tpb-1)/tpb, len(out))
				// paddedRows makes its own rows.
				ownRows := parts == 1 && paddedRowsOK[T](q)
				// Row m's outputs start at m*cog where the output is
				// NHWC and one phase covers it: no offsets to keep.
				outStep := 0
				if len(phH) == 1 && len(phW) == 1 && q.groups == 1 && q.oC == 1 && q.oW == q.cog && q.oH == q.wo*q.cog && q.oB == q.ho*q.oH {
					outStep = q.cog
				}
				// Each image's rows in parallel: a large GEMM has tens of
				// thousands. Rows read in place need only their outputs.
				per := len(ah.outs) * len(aw.outs)
				inPlace := q.rowsInPlace()
				nbRows := q.nb
				if ownRows || inPlace && outStep > 0 {
					nbRows = 0
				}
				par.For(workers, nbRows, func(_, b int) {
					r := b * per
					for _, oh := range ah.outs {
						base := b*q.oB + oh*q.oH + g*q.cog*q.oC
						for _, ow := range aw.outs {
							rowOut[r] = base + ow*q.oW
							if !inPlace {
								rowX[r] = b*q.h*q.w*q.cin + g*q.cig
								rowHd[r] = oh*q.sh - q.ph
								rowWd[r] = ow*q.sw - q.pw
							}
							r++
						}
					}
				})
				if taps == 0 {
					for r := range m {
						off := rowOut[r]
						if outStep > 0 {
							off = r * outStep
						}
						for c := range q.cog {
							out[off+c*q.oC] = 0
						}
					}
					done = false
					continue
				}
				bm := (*bbuf)[:taps*q.cig*cogP]
				packB(q, k, bm, g, ah.taps, aw.taps, workers)
				mc := itemRows(m, workers, mr)
				if src != nil {
					mc = (mc + align - 1) / align * align
				}
				job := gemmJob[T]{q: q, mc: mc, xc: xc, b: bm, tapsH: ah.taps, tapsW: aw.taps,
					rowX: rowX, rowHd: rowHd, rowWd: rowWd, rowOut: rowOut, nrows: m, outStep: outStep, tpb: tpb, inPlace: inPlace,
					direct: directOK[T](q), epi: epi}
				chunks := (m + mc - 1) / mc
				if parts > 1 {
					job.depthParts(abufs, out, parts, chunks, taps)
					done = false
					continue
				}
				if ownRows {
					job.paddedRows(abufs, out, taps, workers)
					continue
				}
				if paddedOK[T](q) {
					job.padded(abufs, out, taps, workers)
					continue
				}
				// Cheap chunks (the pointwise convolutions of narrow
				// layers: a few thousand multiply-adds) are handed out
				// in blocks.
				block := par.Block(chunks, workers, mc*taps*q.cig*q.cog, minItemWork)
				par.ForBlocks(workers, chunks, block, func(w, chunk int) {
					if src != nil {
						m0 := chunk * mc
						jw := job
						jw.xc, jw.xRow0 = src(w, m0, min(m, m0+mc)), m0
						jw.chunk(*abufs[w], chunk, 0, taps, out)
						return
					}
					job.chunk(*abufs[w], chunk, 0, taps, out)
				})
			}
		}
	}
	return done
}

// srcRows is the most rows a work item of gemmConv has with a row source
// aligned to align rows.
func srcRows(align int) int { return (mcRows + align - 1) / align * align }

// packB copies group g's kernel, restricted to the taps of one phase, into
// b as panels of nr output channels, each laid out [tap][cig][nr] (the
// last panel zero-padded), so that the micro kernel reads one panel
// contiguously. Large kernels (the operand of a kernel gradient, an
// output gradient) are split by taps between workers.
func packB[T float32 | float64](q *problem, k, b []T, g int, tapsH, tapsW []int, workers int) {
	taps := len(tapsH) * len(tapsW)
	rows := taps * q.cig
	parts := 1
	if rows*q.cog >= packParallelMin {
		parts = max(1, min(workers, taps))
	}
	par.For(parts, parts, func(_, p int) {
		// Blocks of taps, channels outside: where the channels are far
		// apart in k (the output gradient of a kernel gradient, whose
		// channels are images), each channel's taps are then read as one
		// run, not one cache line per page.
		t1 := (p + 1) * taps / parts
		for tb := p * taps / parts; tb < t1; tb += packTaps {
			for c := range q.cig {
				for t := tb; t < min(t1, tb+packTaps); t++ {
					i, j := tapsH[t/len(tapsW)], tapsW[t%len(tapsW)]
					row := t*q.cig + c
					src := i*q.kH + j*q.kW + c*q.kIn + g*q.cog*q.kOut
					for c0 := 0; c0 < q.cog; c0 += nr {
						dst := b[(c0/nr*rows+row)*nr:][:nr]
						nv := min(nr, q.cog-c0)
						if q.kOut == 1 && nv == nr {
							*(*[nr]T)(dst) = *(*[nr]T)(k[src+c0:])
						} else if q.kOut == 1 {
							copy(dst, k[src+c0:src+c0+nv])
						} else {
							for o := range nv {
								dst[o] = k[src+(c0+o)*q.kOut]
							}
						}
						clear(dst[nv:])
					}
				}
			}
		}
	})
}

// packTaps is the number of taps packB copies per channel in a row.
const packTaps = 16

// packParallelMin is the number of kernel values from which packB splits
// its work.
const packParallelMin = 1 << 16

// splitDepth returns the number of parts into which gemmConv splits the
// depth (tap blocks) of a GEMM instead of its rows, or 1 to split rows:
// depth is split when the rows make too few work items for the workers
// (a kernel gradient: few output rows, a long sum over positions), the
// problem is one GEMM (one group, one phase), there are at least two
// blocks per worker, and the output is small enough to have a copy per
// part.
func splitDepth(q *problem, phases, workers, chunks, blocks, outSize int) int {
	if workers < 2 || q.groups != 1 || phases != 1 || chunks >= 4*workers || blocks < 2*workers || outSize > 1<<20 {
		return 1
	}
	return workers
}

// depthParts runs the job's GEMM with its tap blocks split into parts
// contiguous ranges, each summed over all rows into its own copy of the
// output, and adds the copies in part order into out: the result does
// not depend on which goroutine ran which part.
func (j *gemmJob[T]) depthParts(abufs []*[]T, out []T, parts, chunks, taps int) {
	blocks := (taps + j.tpb - 1) / j.tpb
	copies := make([]*[]T, parts)
	for p := range copies {
		copies[p] = getBuf[T](len(out))
		defer putBuf(copies[p])
	}
	par.For(parts, parts, func(w, p int) {
		o := *copies[p]
		clear(o)
		t0, t1 := p*blocks/parts*j.tpb, min(taps, (p+1)*blocks/parts*j.tpb)
		for c := range chunks {
			j.chunk(*abufs[w], c, t0, t1, o)
		}
	})
	par.For(parts, parts, func(_, p int) {
		lo, hi := p*len(out)/parts, (p+1)*len(out)/parts
		dst := out[lo:hi]
		copy(dst, (*copies[0])[lo:hi])
		for _, c := range copies[1:] {
			addRow(dst, (*c)[lo:hi])
		}
	})
}

type gemmJob[T float32 | float64] struct {
	q                          *problem
	xc, b                      []T
	tpb, mc                    int
	tapsH, tapsW               []int
	rowX, rowHd, rowWd, rowOut []int
	nrows                      int  // rows of the GEMM
	outStep                    int  // > 0: row m's outputs start at out[m*outStep] (rowOut unused)
	inPlace                    bool // A's rows are xc's rows (rowsInPlace), from row xRow0 on
	xRow0                      int
	direct                     bool         // panels may be read from xc in place (directOK)
	allDirect                  bool         // with direct: every panel is (paddedRows)
	linear                     bool         // row m of A starts at xc[rowX[m]+(rowHd[m]*w+rowWd[m])*cin] for every tap (padded)
	epi                        *Epilogue[T] // run on output rows once complete (gemmConv); nil: none
}

// noDirect keeps every panel packed (tests compare the two ways);
// directPanels counts the panels read in place (tests check that some are).
var (
	noDirect     = false
	directPanels atomic.Int64
	// paddedRowsRuns counts the GEMMs run by paddedRows (tests check
	// that some are).
	paddedRowsRuns atomic.Int64
	// spatialGradRuns counts the kernel gradients run by spatialGrad.
	spatialGradRuns atomic.Int64
	// epilogueRowsInItems counts the output rows whose epilogue ran in
	// the work item that computed them, and epilogueRowsInTiles those
	// whose epilogue the micro kernels applied (tests check that some
	// do).
	epilogueRowsInItems, epilogueRowsInTiles atomic.Int64
)

// directOK reports whether the rows of A that a kernel row's taps make
// are runs of the input that the micro kernel can read in place, at a
// fixed stride from one output column to the next: float32 with the
// assembly kernel, one group, no input dilation, no column dilation, and
// kernel rows of at least minDirectDepth values (a stem's 3 taps of one
// channel cost more as three calls than packed); never with noDirect.
// Which panels qualify is decided per panel and tap block (directPanel).
func directOK[T float32 | float64](q *problem) bool {
	return directShape[T](q) && q.kw*q.cin >= minDirectDepth
}

// directShape is directOK without its condition on the depth.
func directShape[T float32 | float64](q *problem) bool {
	return !noDirect && colsOK[T]() && q.directLayout()
}

// directLayout is directShape's condition on q's shape.
func (q *problem) directLayout() bool {
	return !q.rowsInPlace() && q.groups == 1 && q.cig == q.cin && q.dh == 1 && q.dw == 1 && q.kdw == 1
}

// minDirectDepth is the shortest kernel row (taps times channels) read in
// place: each row is one micro kernel call, which loads and stores its tile.
const minDirectDepth = 16

// directPanel reports whether the panel of rows [m, m+mr) over the taps
// [t0, t1) can be read in place: all its rows are outputs of one image
// row, columns one stride apart, and every tap it reads is inside the
// input (padding would need zeros that are not there).
func (j *gemmJob[T]) directPanel(m, t0, t1 int) bool {
	q := j.q
	last := m + mr - 1
	if j.linear {
		return last < j.nrows && j.rowX[last] == j.rowX[m]
	}
	if last >= j.nrows || j.rowX[last] != j.rowX[m] || j.rowHd[last] != j.rowHd[m] ||
		j.rowWd[last]-j.rowWd[m] != (mr-1)*q.sw {
		return false
	}
	ntw := len(j.tapsW)
	for t := t0; t < t1; {
		th, tw := t/ntw, t%ntw
		run := min(ntw-tw, t1-t)
		if hd := j.rowHd[m] + j.tapsH[th]*q.kdh; hd < 0 || hd >= q.h {
			return false
		}
		if j.rowWd[m]+j.tapsW[tw] < 0 || j.rowWd[last]+j.tapsW[tw+run-1] >= q.w {
			return false
		}
		t += run
	}
	return true
}

// directTile computes the tile of output channels [c0, c0+nr) of the
// panel at row m over the taps [t0, t1), reading A in place: one micro
// kernel call per run of taps in a kernel row, whole kernel rows in a row
// taken in one call (their runs lie at a fixed stride in the input), each
// going on from the last's sums, so the bits are those of a packed panel.
// With acc1, the next nr channels go into acc1 in the same calls
// (microSeg32x2). With d, the tile goes to d instead, its epilogue (if
// any) with the last call.
func (j *gemmJob[T]) directTile(m, t0, t1, c0, krows int, acc, acc1 *[mr * nr]T, d *tileDst) {
	q := j.q
	ntw := len(j.tapsW)
	segs := q.kdh * q.w * q.cin // directOK: no input dilation, so tapsH are 0, 1, ...
	x0, hd0, wd0 := 0, 0, 0
	if j.allDirect {
		// paddedRows: a worker's copy holds the image, rows in order.
		rem := m % (q.ho * q.wo)
		hd0, wd0 = rem/q.wo*q.sh, rem%q.wo*q.sw
	} else {
		x0, hd0, wd0 = j.rowX[m], j.rowHd[m], j.rowWd[m]
	}
	for t := t0; t < t1; {
		th, tw := t/ntw, t%ntw
		run := min(ntw-tw, t1-t)
		nseg := 1
		if tw == 0 && run == ntw {
			nseg = (t1 - t) / ntw
		}
		hd := hd0 + j.tapsH[th]*q.kdh
		a := j.xc[x0+(hd*q.w+wd0+j.tapsW[tw])*q.cin:]
		bp := j.b[(c0/nr*krows+t*q.cig)*nr:]
		dc := d
		if d != nil && d.epi != nil && t+nseg*run < t1 {
			dc = &tileDst{d0: d.d0, d1: d.d1, ds: d.ds} // not the last call: no epilogue yet
		}
		if acc1 != nil {
			microRowsSeg2(run*q.cig, nseg, a, q.sw*q.cin, 1, segs, bp, krows*nr, acc, acc1, dc, t > t0, halfPanel(q.cog, c0+nr))
		} else {
			microRowsSeg(run*q.cig, nseg, a, q.sw*q.cin, 1, segs, bp[:nseg*run*q.cig*nr], acc, dc, t > t0)
		}
		t += nseg * run
	}
}

// rowsInPlace reports whether the im2col matrix A is the canonical input
// itself, row m being xc[m*cin:][:cin]: a 1x1 kernel at stride 1 with no
// padding, dilation or groups (the pointwise convolutions and their
// input gradients). Then A needs no packing.
func (q *problem) rowsInPlace() bool {
	return q.kh == 1 && q.kw == 1 && q.sh == 1 && q.sw == 1 && q.ph == 0 && q.pw == 0 &&
		q.dh == 1 && q.dw == 1 && q.groups == 1 && q.cig == q.cin && q.ho == q.h && q.wo == q.w
}

// chunk computes rows [chunk*mc, ...) of the job's GEMM over the taps
// [tLo, tHi) into out, using ap as the packed-A buffer. Each panel of mr
// rows is packed once per tap block and multiplied with every panel of nr
// columns of B.
func (j *gemmJob[T]) chunk(ap []T, chunk, tLo, tHi int, out []T) {
	m0 := chunk * j.mc
	j.rows(ap, m0, min(j.nrows, m0+j.mc), tLo, tHi, out)
}

// rows is chunk for the rows [m0, m1), at most mc of them.
func (j *gemmJob[T]) rows(ap []T, m0, m1, tLo, tHi int, out []T) {
	q := j.q
	panels := (m1 - m0 + mr - 1) / mr
	taps := len(j.tapsH) * len(j.tapsW)
	krows := taps * q.cig
	var acc, acc1 [mr * nr]T
	var direct []bool
	if j.direct {
		direct = make([]bool, panels)
	}
	// Tiles go straight into out, without the accumulator arrays, where
	// every tile of these rows can: whole panels of one block of taps
	// (its sums are the whole sums of these taps: stored, not added), in
	// float32 with the assembly kernels, with rows at a fixed step. The
	// epilogue then goes with them when the kernels can apply it and the
	// block has every tap.
	straight := colsOK[T]() && j.outStep > 0 && (m1-m0)%mr == 0 && tHi-tLo <= j.tpb && straightCols(q.cog)
	tileEpilogue := straight && j.epi != nil && j.epi.Scale != nil && tLo == 0 && tHi == taps
	for t0 := tLo; t0 < tHi; t0 += j.tpb {
		t1 := min(tHi, t0+j.tpb)
		kc := (t1 - t0) * q.cig
		n := 0
		for p := range direct {
			direct[p] = j.allDirect || j.directPanel(m0+p*mr, t0, t1)
			if direct[p] {
				n++
			}
		}
		if n > 0 {
			directPanels.Add(int64(n))
		}
		if !j.inPlace {
			j.packA(ap, m0, m1, t0, t1, kc, direct)
		}
		for p := range panels {
			rows := min(mr, m1-m0-p*mr)
			panel := ap[p*kc*mr : (p+1)*kc*mr]
			if j.inPlace {
				// One tap: kc == cin and rows are consecutive.
				src := j.xc[(m0-j.xRow0+p*mr)*kc:][:rows*kc]
				if rows == mr {
					panel = src
				} else {
					copy(panel, src)
					clear(panel[rows*kc:])
				}
			}
			// Pairs of B panels share each pass over A (micro2).
			for c0 := 0; c0 < q.cog; c0 += 2 * nr {
				var a1 *[mr * nr]T
				if c0+nr < q.cog {
					a1 = &acc1
				}
				// (Values, not stores through d: those would move them
				// to the heap, one allocation a tile.)
				var d *tileDst
				var dv tileDst
				var epi tileEpi
				if straight {
					o := unsafe.Pointer(&out[j.outAt(m0+p*mr)+c0])
					dv = tileDst{d0: o, d1: unsafe.Add(o, nr*4), ds: uintptr(j.outStep) * 4}
					if tileEpilogue {
						epi = tileEpi{scale: unsafe.Pointer(&j.epi.Scale[c0]), shift: unsafe.Pointer(&j.epi.Shift[c0]), relu: j.epi.ReLU}
						dv.epi = &epi
					}
					d = &dv
				}
				bp := j.b[(c0/nr*krows+t0*q.cig)*nr:]
				switch {
				case direct != nil && direct[p]:
					j.directTile(m0+p*mr, t0, t1, c0, krows, &acc, a1, d)
				case d != nil && a1 != nil:
					microRowsSeg2(kc, 1, panel, kc, 1, 0, bp, krows*nr, nil, nil, d, false, halfPanel(q.cog, c0+nr))
				case d != nil:
					microRowsSeg(kc, 1, panel, kc, 1, 0, bp[:kc*nr], nil, d, false)
				case a1 != nil:
					micro2(kc, panel, bp, krows*nr, &acc, a1, halfPanel(q.cog, c0+nr))
				default:
					micro(kc, panel, bp[:kc*nr], &acc)
				}
				if d != nil {
					continue
				}
				j.storeTile(out, &acc, m0+p*mr, rows, c0, t0 == tLo)
				if a1 != nil {
					j.storeTile(out, a1, m0+p*mr, rows, c0+nr, t0 == tLo)
				}
			}
		}
	}
	if tileEpilogue {
		epilogueRowsInTiles.Add(int64(m1 - m0))
	} else if j.epi != nil && tLo == 0 && tHi == taps {
		// The rows' sums are complete: runs of consecutive rows.
		for m := m0; m < m1; {
			e := m + 1
			for e < m1 && j.outAt(e) == j.outAt(e-1)+q.cog {
				e++
			}
			j.epi.Rows(out[j.outAt(m) : j.outAt(e-1)+q.cog])
			m = e
		}
		epilogueRowsInItems.Add(int64(m1 - m0))
	}
}

// outAt is the offset in out of row m's first output.
func (j *gemmJob[T]) outAt(m int) int {
	if j.outStep > 0 {
		return m * j.outStep
	}
	return j.rowOut[m]
}

// halfPanel reports whether the panel of columns from c0 on has at most
// half a panel's columns in use (of cols), so that the micro kernels may
// compute only its first 8.
func halfPanel(cols, c0 int) bool { return cols-c0 <= nr/2 }

// storeTile writes (first) or adds the tile acc into the output rows
// [m, m+rows) and channels [c0, c0+nr) that exist.
func (j *gemmJob[T]) storeTile(out []T, acc *[mr * nr]T, m, rows, c0 int, first bool) {
	q := j.q
	nv := min(nr, q.cog-c0)
	if q.oC == 1 && rows == mr && nv == nr {
		// A full tile whose rows are evenly spaced: one call. They are
		// where the output is linear, and in paddedRows, whose panels are
		// mr outputs of one output row.
		base, st, even := j.outAt(m), q.oW, true
		switch {
		case j.outStep > 0:
			st = j.outStep
		case !j.allDirect:
			ro := j.rowOut[m : m+mr]
			st = ro[1] - ro[0]
			for r := 2; r < mr; r++ {
				even = even && ro[r]-ro[r-1] == st
			}
		}
		if even && storeTile32(out, base+c0, st, acc, first) {
			return
		}
	}
	for r := range rows {
		base := j.outAt(m+r) + c0*q.oC
		a := acc[r*nr : r*nr+nv]
		if q.oC == 1 {
			if first {
				storeRow(out[base:base+nv], a)
			} else {
				addRow(out[base:base+nv], a)
			}
			continue
		}
		if first {
			for c, v := range a {
				out[base+c*q.oC] = v
			}
		} else {
			for c, v := range a {
				out[base+c*q.oC] += v
			}
		}
	}
}

// micro2 is micro for two panels of B, b[:kc*nr] into acc0 and
// b[bs:][:kc*nr] into acc1, with the bits of two micro calls; with the
// assembly kernel, one pass over A (microSum32x2), and with half only
// the second panel's first 8 columns (the rest of acc1 left as it is).
func micro2[T float32 | float64](kc int, a, b []T, bs int, acc0, acc1 *[mr * nr]T, half bool) {
	if colsOK[T]() {
		microSum32x2(kc, any(a).([]float32), kc, 1, any(b).([]float32), bs, any(acc0).(*[mr * nr]float32), any(acc1).(*[mr * nr]float32), false, half)
		return
	}
	micro(kc, a, b[:kc*nr], acc0)
	micro(kc, a, b[bs:][:kc*nr], acc1)
}

// packA gathers rows [m0, m1) and taps [t0, t1) of the im2col matrix into
// ap, panels of mr rows, each row contiguous: ap[p*kc*mr + r*kc + kk].
// Taps outside the input (padding) give zeros. Panels p with direct[p]
// set are read in place and not packed.
func (j *gemmJob[T]) packA(ap []T, m0, m1, t0, t1, kc int, direct []bool) {
	q := j.q
	ntw := len(j.tapsW)
	cig := q.cig
	// With no column dilation and one group, the taps of one kernel row
	// read one contiguous run of the input.
	rowRuns := q.dw == 1 && q.kdw == 1 && q.cin == cig
	// Whole kernel rows without input dilation: a row whose window lies
	// inside the input is one run per kernel row, at fixed offsets.
	wholeRows := rowRuns && q.dh == 1 && t0%ntw == 0 && t1%ntw == 0
	th0, th1, n := t0/ntw, t1/ntw, ntw*cig
	for m := m0; m < m0+(m1-m0+mr-1)/mr*mr; m++ {
		p, r := (m-m0)/mr, (m-m0)%mr
		if direct != nil && direct[p] {
			m += mr - 1 - r
			continue
		}
		panel := ap[p*kc*mr : (p+1)*kc*mr]
		row := panel[r*kc : (r+1)*kc]
		if m >= m1 {
			clear(row)
			continue
		}
		hd0, wd0, x0 := j.rowHd[m], j.rowWd[m], j.rowX[m]
		if first := wd0 + j.tapsW[0]; wholeRows && first >= 0 && first+ntw <= q.w &&
			hd0+j.tapsH[th0]*q.kdh >= 0 && hd0+j.tapsH[th1-1]*q.kdh < q.h {
			base := x0 + first*q.cin
			for th := th0; th < th1; th++ {
				copyShort(row[(th-th0)*n:][:n], j.xc[base+(hd0+j.tapsH[th]*q.kdh)*q.w*q.cin:][:n])
			}
			continue
		}
		for t := t0; t < t1; {
			th, tw := t/ntw, t%ntw
			run := min(ntw-tw, t1-t) // taps left in this kernel row
			dst := row[(t-t0)*cig : (t-t0+run)*cig]
			hd := hd0 + j.tapsH[th]*q.kdh
			if hd < 0 || hd >= q.dilatedH {
				clear(dst)
				t += run
				continue
			}
			if q.dh > 1 {
				hd /= q.dh
			}
			xr := x0 + hd*q.w*q.cin
			if first := wd0 + j.tapsW[tw]; rowRuns && first >= 0 && first+run <= q.w {
				copyShort(dst, j.xc[xr+first*q.cin:])
				t += run
				continue
			}
			for u := range run {
				wd := wd0 + j.tapsW[tw+u]*q.kdw
				d := dst[u*cig : (u+1)*cig]
				if wd < 0 || wd >= q.dilatedW {
					clear(d)
					continue
				}
				if q.dw > 1 {
					wd /= q.dw
				}
				copyShort(d, j.xc[xr+wd*q.cin:])
			}
			t += run
		}
	}
}

// copyShort is copy(dst, src) for packing: short runs (the few channels
// of a stem's taps) are copied in a loop, without the call copy makes.
func copyShort[T float32 | float64](dst, src []T) {
	if len(dst) > 32 {
		copy(dst, src)
		return
	}
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v
	}
}

// paddedOK reports whether gemmConv runs q over a zero-padded copy of its
// input (gemmJob.padded): a stride-1 convolution without dilations or
// groups, on the assembly kernel, whose extra output columns (kw-1 per
// row, computed and dropped) add at most a quarter to the work.
func paddedOK[T float32 | float64](q *problem) bool {
	hiH, hiW := q.ho+q.kh-1-q.h-q.ph, q.wo+q.kw-1-q.w-q.pw
	return directOK[T](q) && q.sh == 1 && q.sw == 1 && q.kdh == 1 && q.ph >= 0 && q.pw >= 0 &&
		hiH >= 0 && hiW >= 0 && q.kw > 1 && 4*(q.wo+q.kw-1) <= 5*q.wo
}

// paddedRowsOK reports whether gemmConv runs q over a zero-padded copy of
// its input with the output rows as they are (gemmJob.paddedRows): a
// convolution that reads padding, without dilations or groups, on the
// assembly kernel, whose output rows are whole panels (wo a multiple of
// mr), so that every panel lies in one image row and is read in place
// with no extra work. A short kernel row (a stem's) is read in place
// too: a block's kernel rows take one call (directTile).
func paddedRowsOK[T float32 | float64](q *problem) bool {
	return directShape[T](q) && q.paddedRowsShape()
}

// paddedRowsShape is paddedRowsOK's condition on q's shape.
func (q *problem) paddedRowsShape() bool {
	hp, wp := q.paddedSize()
	return q.directLayout() && q.kh*q.kw*q.cin >= minDirectDepth && q.kdh == 1 && q.wo%mr == 0 && q.ph >= 0 && q.pw >= 0 &&
		(q.ph > 0 || q.pw > 0 || hp > q.h || wp > q.w)
}

// paddedSize is the extent of the input that q's taps read, padding
// included: rows and columns from -ph and -pw on.
func (q *problem) paddedSize() (hp, wp int) {
	return (q.ho-1)*q.sh + (q.kh-1)*q.kdh + 1, (q.wo-1)*q.sw + (q.kw-1)*q.kdw + 1
}

// padInput copies q's canonical input xc into a zero-padded buffer of
// paddedSize positions per image (the input at row ph, column pw; what
// lies beyond is not read and not copied), plus slack zeros at the end,
// and returns the buffer (for putBuf), the copy, and the problem that
// reads the copy: q's convolution without padding.
func padInput[T float32 | float64](q *problem, xc []T, slack, workers int) (*[]T, []T, *problem) {
	hp, wp := q.paddedSize()
	img := hp * wp * q.cin
	buf := getBuf[T](q.nb*img + slack)
	xp := (*buf)[:q.nb*img+slack]
	par.For(workers, q.nb*hp, func(_, r int) {
		padRow(q, xc, xp[r*wp*q.cin:][:wp*q.cin], r/hp, r%hp)
	})
	clear(xp[q.nb*img:])
	return buf, xp, q.paddedProblem()
}

// padRow writes row y of image b of the zero-padded copy of xc (q's
// input, canonical) into row: zeros where it lies in the padding.
func padRow[T float32 | float64](q *problem, xc, row []T, b, y int) {
	iy := y - q.ph
	if iy < 0 || iy >= q.h {
		clear(row)
		return
	}
	left := q.pw * q.cin
	n := min(q.w*q.cin, len(row)-left)
	clear(row[:left])
	copy(row[left:left+n], xc[(b*q.h+iy)*q.w*q.cin:][:n])
	clear(row[left+n:])
}

// padImage writes image b of the zero-padded copy of xc (q's input,
// canonical) into xp, paddedSize rows of columns.
func padImage[T float32 | float64](q *problem, xc, xp []T, b int) {
	hp, wp := q.paddedSize()
	for y := range hp {
		padRow(q, xc, xp[y*wp*q.cin:][:wp*q.cin], b, y)
	}
}

// paddedProblem is q over its zero-padded input (paddedSize), unpadded.
func (q *problem) paddedProblem() *problem {
	hp, wp := q.paddedSize()
	v := *q
	v.h, v.w, v.ph, v.pw = hp, wp, 0, 0
	v.dilatedH, v.dilatedW = hp, wp
	return &v
}

// paddedRows runs the job's GEMM (paddedRowsOK, one phase, rows not split
// by depth) over zero-padded copies of the input, one image at a time in
// each worker's own buffer: the rows of A are those of an unpadded
// convolution of the copy, and every panel, lying in one output row, is
// read in place. The products and their order are the packed panels' (the
// copy's zeros are the zeros packing writes), so the bits are too; sums go
// straight to out, the epilogue with them. A copy of one image stays in
// cache while its rows are computed, instead of a copy of the whole batch
// going out to memory and back.
func (j *gemmJob[T]) paddedRows(abufs []*[]T, out []T, taps, workers int) {
	q := j.q
	paddedRowsRuns.Add(1)
	vq := q.paddedProblem()
	img := vq.h * vq.w * q.cin
	per := q.ho * q.wo
	if j.outStep == 0 {
		// directTile finds a row's input from m; only the outputs need
		// offsets.
		par.For(workers, q.nb, func(_, b int) {
			r := b * per
			for oh := range q.ho {
				for ow := range q.wo {
					j.rowOut[r] = b*q.oB + oh*q.oH + ow*q.oW
					r++
				}
			}
		})
	}
	bufs := make([]*[]T, workers)
	for w := range bufs {
		bufs[w] = getBuf[T](img)
		defer putBuf(bufs[w])
	}
	par.For(workers, q.nb, func(w, b int) {
		xp := (*bufs[w])[:img]
		padImage(q, j.xc, xp, b)
		vj := *j
		vj.q, vj.xc, vj.direct, vj.allDirect = vq, xp, true, true
		for m0 := b * per; m0 < (b+1)*per; m0 += j.mc {
			vj.rows(*abufs[w], m0, min(m0+j.mc, (b+1)*per), 0, taps, out)
		}
	})
}

// padded runs the job's GEMM (paddedOK, one phase, rows not split by
// depth) over a zero-padded copy of the input, hp x wp per image, with
// every output row widened to wp columns: row m of A then starts at
// m*cin within an image for every tap, so every full panel inside one
// image is read in place and none is packed. The products and their order
// are the packed panels' (padding gives the zeros packing writes), so the
// bits are too; the extra columns read the next row's values and are
// dropped.
func (j *gemmJob[T]) padded(abufs []*[]T, out []T, taps, workers int) {
	q := j.q
	slack := (q.kw + mr) * q.cin // what the last image's extra columns read past it
	xpBuf, xp, vq := padInput(q, j.xc, slack, workers)
	defer putBuf(xpBuf)
	wp := vq.w // stride 1: wo+kw-1
	img := vq.h * wp * q.cin

	m := q.nb * q.ho * wp
	vq.wo = wp
	vq.oC, vq.oW, vq.oH, vq.oB = 1, q.cog, wp*q.cog, q.ho*wp*q.cog
	rowBuf := getBuf[int](4 * m)
	defer putBuf(rowBuf)
	rb := *rowBuf
	vj := gemmJob[T]{q: vq, xc: xp, b: j.b, tpb: j.tpb, tapsH: j.tapsH, tapsW: j.tapsW,
		rowX: rb[:m], rowHd: rb[m : 2*m], rowWd: rb[2*m : 3*m], rowOut: rb[3*m : 4*m], nrows: m, direct: true, linear: true, epi: j.epi}
	for r := range m {
		b, yx := r/(q.ho*wp), r%(q.ho*wp)
		vj.rowX[r], vj.rowHd[r], vj.rowWd[r], vj.rowOut[r] = b*img, yx/wp, yx%wp, r*q.cog
	}
	voutBuf := getBuf[T](m * q.cog)
	defer putBuf(voutBuf)
	vout := (*voutBuf)[:m*q.cog]
	vj.mc = itemRows(m, workers, mr)
	par.For(workers, (m+vj.mc-1)/vj.mc, func(w, chunk int) {
		vj.chunk(*abufs[w], chunk, 0, taps, vout)
	})
	par.For(workers, q.nb*q.ho, func(_, r int) {
		b, y := r/q.ho, r%q.ho
		for x := range q.wo {
			src := vout[(r*wp+x)*q.cog:][:q.cog]
			base := b*q.oB + y*q.oH + x*q.oW
			if q.oC == 1 {
				copy(out[base:base+q.cog], src)
				continue
			}
			for c, v := range src {
				out[base+c*q.oC] = v
			}
		}
	})
}
