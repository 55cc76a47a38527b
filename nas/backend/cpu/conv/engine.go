package conv

import (
	"time"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/par"
)

// problem is a validated one- or two-spatial-axis convolution in the
// canonical form the kernels work on: input [nb, h, w, cin] (batch groups
// folded into the channels: channel gb*ci+c of batch b is channel c of
// batch gb*nb+b), groups consecutive channel groups of cig channels, cog
// output channels per group, and the output written through strides.
type problem struct {
	nb, h, w, cin      int
	kh, kw             int
	sh, sw, dh, dw     int // strides, input dilations
	kdh, kdw, ph, pw   int // kernel dilations, low paddings
	ho, wo             int
	groups, cig, cog   int
	oB, oH, oW, oC     int // output strides of batch, ho, wo, channel
	kIn, kOut, kH, kW  int // kernel strides of its axes
	xB, xC, xH, xW     int // input strides (of the original layout)
	bgc, ci            int
	inputIsCanonical   bool
	dilatedH, dilatedW int // (h-1)*dh+1, (w-1)*dw+1
}

// newProblem lifts p (spatial rank 1 or 2) to a problem.
func newProblem(p *plan) *problem {
	a := p.axes
	q := &problem{
		nb: p.outBatch, cin: p.ci * p.bgc, ci: p.ci, bgc: p.bgc,
		groups: p.groups, cig: p.cig, cog: p.cog,
		oB: p.outStr[a.OutputBatch], oC: p.outStr[a.OutputChannels],
		kIn: p.kerStr[a.KernelInputChannels], kOut: p.kerStr[a.KernelOutputChannels],
		xB: p.inStr[a.InputBatch], xC: p.inStr[a.InputChannels],
	}
	// Spatial axis 0 is h unless there is only one, then h is a unit axis.
	q.h, q.kh, q.ho, q.sh, q.dh, q.kdh = 1, 1, 1, 1, 1, 1
	d := 0
	if p.sp == 2 {
		q.h, q.kh, q.ho = p.inSp[0], p.kerSp[0], p.outSp[0]
		q.sh, q.dh, q.kdh, q.ph = p.strides[0], p.dilIn[0], p.dilKer[0], p.pads[0][0]
		q.oH, q.kH, q.xH = p.outStr[a.OutputSpatial[0]], p.kerStr[a.KernelSpatial[0]], p.inStr[a.InputSpatial[0]]
		d = 1
	}
	q.w, q.kw, q.wo = p.inSp[d], p.kerSp[d], p.outSp[d]
	q.sw, q.dw, q.kdw, q.pw = p.strides[d], p.dilIn[d], p.dilKer[d], p.pads[d][0]
	q.oW, q.kW, q.xW = p.outStr[a.OutputSpatial[d]], p.kerStr[a.KernelSpatial[d]], p.inStr[a.InputSpatial[d]]
	q.dilatedH, q.dilatedW = (q.h-1)*q.dh+1, (q.w-1)*q.dw+1
	// Canonical when the axes are batch, spatial..., channels in order.
	q.inputIsCanonical = p.bgc == 1 && a.InputBatch == 0 && a.InputChannels == p.rank-1
	for i, ax := range a.InputSpatial {
		if ax != i+1 {
			q.inputIsCanonical = false
		}
	}
	return q
}

// canonicalInput copies x into the layout [nb, h, w, cin] (into buf).
func canonicalInput[T float32 | float64](q *problem, x, buf []T, workers int) {
	par.For(workers, q.nb*q.h, func(_, row int) {
		// Batch innermost: with a strided source, consecutive items read
		// the same cache lines.
		b, hh := row%q.nb, row/q.nb
		for ww := range q.w {
			dst := buf[((b*q.h+hh)*q.w+ww)*q.cin:][:q.cin]
			for gb := range q.bgc {
				src := (gb*q.nb+b)*q.xB + hh*q.xH + ww*q.xW
				d := dst[gb*q.ci:][:q.ci]
				if q.xC == 1 {
					copy(d, x[src:src+q.ci])
					continue
				}
				for c := range d {
					d[c] = x[src+c*q.xC]
				}
			}
		}
	})
}

// phase is the set of outputs along one spatial axis whose taps land on
// the same residue of the input dilation, with the taps that can land on
// an input value (the others hit the holes of the dilation).
type phase struct {
	outs, taps []int
}

// phases splits the outputs of one spatial axis by the taps that hit
// input values rather than dilation holes.
func phases(outs, taps, stride, dil, kdil, pad int) []phase {
	if dil == 1 {
		ph := phase{outs: make([]int, outs), taps: make([]int, taps)}
		for i := range ph.outs {
			ph.outs[i] = i
		}
		for i := range ph.taps {
			ph.taps[i] = i
		}
		return []phase{ph}
	}
	byRes := make([]phase, dil)
	for o := range outs {
		r := ((o*stride-pad)%dil + dil) % dil
		byRes[r].outs = append(byRes[r].outs, o)
	}
	var res []phase
	for r, ph := range byRes {
		if len(ph.outs) == 0 {
			continue
		}
		for t := range taps {
			if (r+t*kdil)%dil == 0 {
				ph.taps = append(ph.taps, t)
			}
		}
		res = append(res, ph)
	}
	return res
}

// runFast computes p on x, k into out with the kernels for one or two
// spatial axes. It reports whether it ran epi (non-nil) on every output
// row (see RunEpilogue).
func runFast[T float32 | float64](p *plan, x, k, out []T, epi *Epilogue[T], workers int) bool {
	if !statsOn.Load() {
		_, done := runKernel(p, x, k, out, epi, workers)
		return done
	}
	t0 := time.Now()
	kernel, done := runKernel(p, x, k, out, epi, workers)
	record(kernel, p, time.Since(t0))
	return done
}

// canonical returns q's input x in the canonical layout: x itself, or a
// copy in a pooled buffer (returned too, for putBuf; nil for none).
func canonical[T float32 | float64](q *problem, x []T, workers int) ([]T, *[]T) {
	if q.inputIsCanonical {
		return x, nil
	}
	buf := getBuf[T](q.nb * q.h * q.w * q.cin)
	canonicalInput(q, x, *buf, workers)
	return *buf, buf
}

// runKernel is runFast; it returns the name of the kernel that ran (see
// Stat) and whether it ran epi.
func runKernel[T float32 | float64](p *plan, x, k, out []T, epi *Epilogue[T], workers int) (string, bool) {
	q := newProblem(p)
	if q.batchDepthwiseFits() {
		batchDepthwise(q, x, k, out, workers)
		return "depthwise-kernel-grad", false
	}
	if q.spatialGradFits() && spatialGrad(q, x, k, out, workers) {
		return "spatial-kernel-grad", false
	}
	xc, buf := canonical(q, x, workers)
	defer putBuf(buf)
	switch {
	case q.cig == 1:
		depthwise(q, xc, k, out, workers)
		return "depthwise", false
	case q.cog == 1 && q.groups > 1:
		groupedDot(q, xc, k, out, workers)
		return "grouped-dot", false
	default:
		return "gemm", gemmConv(q, xc, k, out, epi, workers, nil, 0)
	}
}
