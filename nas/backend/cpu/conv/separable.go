package conv

import (
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"time"
)

// separableRuns counts the pairs RunSeparable ran in one pass, and
// separablePadded those whose depthwise rows ran over a zero-padded copy
// (tests check that some do).
var separableRuns, separablePadded atomic.Int64

// RunSeparable computes out = Conv(Conv(x, kdw; dw), kpw; pw) followed by
// epi as RunEpilogue does: a depthwise convolution dw (one input and one
// output channel per group) whose output is the input of a pointwise one
// pw (1x1, stride 1, no padding, one group), as in a separable
// convolution. Where the kernels take the pair (both with channels last,
// no input dilation), the depthwise output is never stored whole: each
// work item of the pointwise GEMM computes the depthwise rows it needs
// into a buffer that stays in cache and multiplies them at once. The bits
// are those of Run(dw) then RunEpilogue(pw), which is what runs
// otherwise.
func RunSeparable[T float32 | float64](dw, pw Spec, x, kdw, kpw, out []T, epi *Epilogue[T], workers int) error {
	dp, err := dw.plan()
	if err != nil {
		return fmt.Errorf("depthwise: %w", err)
	}
	pp, err := pw.plan()
	if err != nil {
		return fmt.Errorf("pointwise: %w", err)
	}
	if !slices.Equal(dp.out, pp.in) {
		return fmt.Errorf("%w: the depthwise output %v is not the pointwise input %v", ErrSpec, dp.out, pp.in)
	}
	mid := product(dp.out)
	if err := dp.checkSizes(len(x), len(kdw), mid); err != nil {
		return fmt.Errorf("depthwise: %w", err)
	}
	if err := pp.checkSizes(mid, len(kpw), len(out)); err != nil {
		return fmt.Errorf("pointwise: %w", err)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if err := checkEpilogue(pp, epi); err != nil {
		return err
	}
	if dq, pq, ok := separableFits(dp, pp); ok {
		separableRuns.Add(1)
		t0 := time.Now()
		if !separable(dq, pq, x, kdw, kpw, out, epi, workers) && epi != nil {
			epilogueAfter(out, pp.co, epi, workers)
		}
		if statsOn.Load() {
			add("separable", flopsOf(dp)+flopsOf(pp), time.Since(t0))
		}
		return nil
	}
	buf := getBuf[T](mid)
	defer putBuf(buf)
	runPlan(dp, x, kdw, (*buf)[:mid], nil, workers)
	runPlan(pp, (*buf)[:mid], kpw, out, epi, workers)
	return nil
}

// separableFits reports whether RunSeparable computes dp then pp in one
// pass: the kernels would run dp with the depthwise kernel (one input and
// one output channel per group, no input dilation) into a canonical
// output (channels last, contiguous), and pp with the GEMM on A in place
// (rowsInPlace) from a canonical input, one GEMM over rows not split by
// depth (as gemmConv would run it alone).
func separableFits(dp, pp *plan) (dq, pq *problem, ok bool) {
	if dp.sp > 2 || pp.sp > 2 {
		return nil, nil, false
	}
	dq, pq = newProblem(dp), newProblem(pp)
	co := dq.groups
	ok = dq.cig == 1 && dq.cog == 1 && dq.dh == 1 && dq.dw == 1 && !dq.batchDepthwiseFits() &&
		dq.oC == 1 && dq.oW == co && dq.oH == dq.wo*co && dq.oB == dq.ho*dq.wo*co &&
		pq.rowsInPlace() && pq.inputIsCanonical && !pq.batchDepthwiseFits() && !pq.spatialGradFits() &&
		pq.cig > 1 && pq.cin == co && pq.nb == dq.nb && pq.h == dq.ho && pq.w == dq.wo &&
		// One tap block: gemmConv does not split the depth.
		pq.cin <= kcGemm && dq.wo > 0
	return dq, pq, ok
}

// separable runs a pair for which separableFits holds and reports whether
// it ran epi.
func separable[T float32 | float64](dq, pq *problem, x, kdw, kpw, out []T, epi *Epilogue[T], workers int) bool {
	xc, buf := canonical(dq, x, workers)
	defer putBuf(buf)
	// Work items are whole depthwise output rows (align wo), or whole
	// images where the rows run over a padded copy.
	wo, per := dq.wo, dq.ho*dq.wo
	align, rq, img := wo, dq, 0
	if dq.kw > 3 && dq.ph >= 0 && dq.pw >= 0 && dq.edgeColumns()*8 >= dq.wo {
		// An eighth or more of the output columns have windows that
		// reach into the padding: the depthwise rows run over a
		// zero-padded copy, where every column takes the vector path
		// (the same products and order: the copy's zeros add nothing).
		// Kernels 3 wide lose more to the copy than they gain (8x8
		// outputs: 0.9x); a 32x32 k7 layer of 16 channels gains (0.84x
		// the time on two cores, 0.68x on one). Each image is padded
		// into its worker's buffer while it is computed (as paddedRows
		// does).
		separablePadded.Add(1)
		rq = dq.paddedProblem()
		align, img = per, rq.h*rq.w*dq.cin
	}
	d := newDwRows(rq, xc, kdw, workers)
	defer d.release()
	co := d.co
	rows := make([]*[]T, workers)
	pads := make([]*[]T, workers)
	for w := range rows {
		rows[w] = getBuf[T](srcRows(align) * co)
		defer putBuf(rows[w])
		if img > 0 {
			pads[w] = getBuf[T](img)
			defer putBuf(pads[w])
		}
	}
	src := func(w, m0, m1 int) []T {
		a := (*rows[w])[:(m1-m0)*co]
		if img == 0 {
			for r := m0 / wo; r*wo < m1; r++ {
				d.row(w, r, a[(r*wo-m0)*co:][:wo*co])
			}
			return a
		}
		xp := (*pads[w])[:img]
		for b := m0 / per; b*per < m1; b++ {
			padImage(dq, xc, xp, b)
			for r := max(m0, b*per) / wo; r*wo < min(m1, (b+1)*per); r++ {
				d.rowFrom(w, xp, r-b*dq.ho, a[(r*wo-m0)*co:][:wo*co])
			}
		}
		return a
	}
	return gemmConv(pq, nil, kpw, out, epi, workers, src, align)
}

// edgeColumns is the number of output columns whose window reaches into
// the padding (or past the input) along the width.
func (q *problem) edgeColumns() int {
	n := 0
	for ow := range q.wo {
		if wd := ow*q.sw - q.pw; wd < 0 || wd+(q.kw-1)*q.kdw >= q.dilatedW {
			n++
		}
	}
	return n
}

// Separable reports whether RunSeparable runs dw then pw in one pass
// (otherwise it runs them one after the other); false for specs it
// rejects.
func Separable(dw, pw Spec) bool {
	dp, err := dw.plan()
	if err != nil {
		return false
	}
	pp, err := pw.plan()
	if err != nil || !slices.Equal(dp.out, pp.in) {
		return false
	}
	_, _, ok := separableFits(dp, pp)
	return ok
}
