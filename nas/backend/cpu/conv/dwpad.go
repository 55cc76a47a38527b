package conv

import "github.com/trgnas/trgnas/nas/backend/cpu/internal/par"

// padDepthwise returns, for a depthwise problem q whose windows do not
// all lie inside the (dilated) input, the same problem on a zero-padded
// copy of its canonical input xc (the copy in a pooled buffer the caller
// returns with putBuf), so that every window lies inside and every row
// goes through the row kernels instead of the per-point path. The
// padding is added in whole input rows and columns (multiples of the
// input dilation in dilated coordinates), so the taps that land on input
// values keep their residues; the problem's low paddings drop by as much
// and may become negative. It returns q, nil when nothing needs padding.
func padDepthwise[T float32 | float64](q *problem, xc []T, workers int) (*problem, *[]T) {
	if q.ho <= 0 || q.wo <= 0 {
		return q, nil
	}
	eh, fh := padRows(q.ho, q.sh, q.ph, q.kh, q.kdh, q.dh, q.dilatedH)
	ew, fw := padRows(q.wo, q.sw, q.pw, q.kw, q.kdw, q.dw, q.dilatedW)
	if eh == 0 && fh == 0 && ew == 0 && fw == 0 {
		return q, nil
	}
	p := *q
	p.h, p.w = q.h+eh+fh, q.w+ew+fw
	p.ph, p.pw = q.ph-eh*q.dh, q.pw-ew*q.dw
	p.dilatedH, p.dilatedW = (p.h-1)*p.dh+1, (p.w-1)*p.dw+1
	buf := getBuf[T](p.nb * p.h * p.w * p.cin)
	xp := *buf
	row, left, width := p.w*p.cin, ew*p.cin, q.w*q.cin
	par.For(max(1, workers), p.nb*p.h, func(_, r int) {
		b, h := r/p.h, r%p.h
		dst := xp[r*row : (r+1)*row]
		if h < eh || h >= eh+q.h {
			clear(dst)
			return
		}
		clear(dst[:left])
		copy(dst[left:left+width], xc[(b*q.h+h-eh)*width:][:width])
		clear(dst[left+width:])
	})
	return &p, buf
}

// padRows returns how many input rows (or columns) to add before and
// after an axis of outs outputs (stride s, low padding pad, kernel size
// k with dilation kd, input dilation d, dilated input size dilated) so
// that every window lies inside the dilated input.
func padRows(outs, s, pad, k, kd, d, dilated int) (before, after int) {
	if pad > 0 {
		before = (pad + d - 1) / d
	}
	// Dilated position of the last window's last tap, past the end by
	// over.
	if over := (outs-1)*s - pad + (k-1)*kd - dilated + 1; over > 0 {
		after = (over + d - 1) / d
	}
	return before, after
}
