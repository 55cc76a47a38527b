package conv

// depthwise computes q when every group has one input channel (cig == 1):
// for each output position, the taps' input rows (all channels, contiguous
// in the canonical layout) times the kernel rows, channels innermost. Taps
// on padding or on the holes of an input dilation are skipped.
func depthwise[T float32 | float64](q *problem, xc, k, out []T, workers int) {
	co := q.groups * q.cog
	// Kernel as [kh][kw][co].
	kbuf := getBuf[T](q.kh * q.kw * co)
	defer putBuf(kbuf)
	kd := *kbuf
	for i := range q.kh {
		for j := range q.kw {
			dst := kd[(i*q.kw+j)*co:][:co]
			src := i*q.kH + j*q.kW
			for o := range dst {
				dst[o] = k[src+o*q.kOut]
			}
		}
	}
	workers = max(1, workers)
	accs := make([]*[]T, workers)
	for w := range accs {
		accs[w] = getBuf[T](co)
		defer putBuf(accs[w])
	}
	parallel(workers, q.nb*q.ho, func(w, row int) {
		acc := (*accs[w])[:co]
		b, oh := row/q.ho, row%q.ho
		for ow := range q.wo {
			clear(acc)
			for i := range q.kh {
				hd := oh*q.sh - q.ph + i*q.kdh
				if hd < 0 || hd >= q.dilatedH || hd%q.dh != 0 {
					continue
				}
				for j := range q.kw {
					wd := ow*q.sw - q.pw + j*q.kdw
					if wd < 0 || wd >= q.dilatedW || wd%q.dw != 0 {
						continue
					}
					xr := xc[((b*q.h+hd/q.dh)*q.w+wd/q.dw)*q.cin:][:q.cin]
					kr := kd[(i*q.kw+j)*co:][:co]
					if q.cog == 1 {
						axpyMul(acc, xr, kr)
						continue
					}
					for g, xv := range xr {
						a := acc[g*q.cog : (g+1)*q.cog]
						for m, kv := range kr[g*q.cog : (g+1)*q.cog] {
							a[m] += xv * kv
						}
					}
				}
			}
			base := b*q.oB + oh*q.oH + ow*q.oW
			if q.oC == 1 {
				copy(out[base:base+co], acc)
			} else {
				for o, v := range acc {
					out[base+o*q.oC] = v
				}
			}
		}
	})
}

// axpyMul adds x[i]*y[i] to acc[i].
func axpyMul[T float32 | float64](acc, x, y []T) {
	n := len(acc)
	x, y = x[:n], y[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		a := acc[i : i+4 : i+4]
		xx := x[i : i+4 : i+4]
		yy := y[i : i+4 : i+4]
		a[0] += xx[0] * yy[0]
		a[1] += xx[1] * yy[1]
		a[2] += xx[2] * yy[2]
		a[3] += xx[3] * yy[3]
	}
	for ; i < n; i++ {
		acc[i] += x[i] * y[i]
	}
}

// groupedDot computes q when every group has one output channel and
// several input channels (the depthwise kernel gradient written with
// batch groups): each output value is a sum over taps of dot products of
// cig contiguous input channels with cig contiguous kernel values.
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
	// Work items: (output position, block of groups).
	const gBlock = 8
	nGB := (q.groups + gBlock - 1) / gBlock
	positions := q.nb * q.ho * q.wo
	parallel(workers, positions*nGB, func(_, item int) {
		pos, gb := item/nGB, item%nGB
		b, oh, ow := pos/(q.ho*q.wo), pos/q.wo%q.ho, pos%q.wo
		g0, g1 := gb*gBlock, min(q.groups, (gb+1)*gBlock)
		var acc [gBlock]T
		for i := range q.kh {
			hd := oh*q.sh - q.ph + i*q.kdh
			if hd < 0 || hd >= q.dilatedH || hd%q.dh != 0 {
				continue
			}
			for j := range q.kw {
				wd := ow*q.sw - q.pw + j*q.kdw
				if wd < 0 || wd >= q.dilatedW || wd%q.dw != 0 {
					continue
				}
				xr := xc[((b*q.h+hd/q.dh)*q.w+wd/q.dw)*q.cin:]
				kr := kd[(i*q.kw+j)*q.groups*q.cig:]
				for g := g0; g < g1; g++ {
					acc[g-g0] += dot(xr[g*q.cig:(g+1)*q.cig], kr[g*q.cig:(g+1)*q.cig])
				}
			}
		}
		base := b*q.oB + oh*q.oH + ow*q.oW
		for g := g0; g < g1; g++ {
			out[base+g*q.oC] = acc[g-g0]
		}
	})
}

// dot returns the dot product of x and y (len(y) >= len(x)).
func dot[T float32 | float64](x, y []T) T {
	n := len(x)
	y = y[:n]
	var s0, s1, s2, s3 T
	i := 0
	for ; i+4 <= n; i += 4 {
		xx := x[i : i+4 : i+4]
		yy := y[i : i+4 : i+4]
		s0 += xx[0] * yy[0]
		s1 += xx[1] * yy[1]
		s2 += xx[2] * yy[2]
		s3 += xx[3] * yy[3]
	}
	for ; i < n; i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}
