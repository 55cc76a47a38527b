//go:build goexperiment.simd && amd64

package conv

import (
	"simd/archsimd"
	"unsafe"
)

// lanes is the width of the float32 vectors.
const lanes = 8

// storeRow sets o = a (len(o) == len(a)), with vectors for float32 rows
// of whole vectors.
func storeRow[T float32 | float64](o, a []T) {
	if o32, ok := any(o).([]float32); ok && len(o)%lanes == 0 && len(a) == len(o) && hasFMA() {
		a32 := any(a).([]float32)
		for c := 0; c < len(o32); c += lanes {
			archsimd.LoadFloat32x8((*[8]float32)(a32[c : c+8])).Store((*[8]float32)(o32[c : c+8]))
		}
		return
	}
	o = o[:len(a)]
	for c, v := range a {
		o[c] = v
	}
}

// addRow adds a to o (len(o) == len(a)), with vectors for float32 rows
// of whole vectors.
func addRow[T float32 | float64](o, a []T) {
	if o32, ok := any(o).([]float32); ok && len(o)%lanes == 0 && len(a) == len(o) && hasFMA() {
		a32 := any(a).([]float32)
		for c := 0; c < len(o32); c += lanes {
			d := (*[8]float32)(o32[c : c+8])
			archsimd.LoadFloat32x8(d).Add(archsimd.LoadFloat32x8((*[8]float32)(a32[c : c+8]))).Store(d)
		}
		return
	}
	o = o[:len(a)]
	for c, v := range a {
		o[c] += v
	}
}

// micro computes the mr x nr tile acc = A B over depth kc, with a holding
// mr rows of kc values and b kc rows of nr values (one packed panel):
// float32 with the assembly kernel and float64 with micro64 where the CPU
// has AVX2 and FMA, the rest in plain Go.
func micro[T float32 | float64](kc int, a []T, b []T, acc *[mr * nr]T) {
	if colsOK[T]() {
		microStrided32(kc, any(a).([]float32), kc, 1, any(b).([]float32), any(acc).(*[mr * nr]float32))
		return
	}
	if a64, ok := any(a).([]float64); ok && hasFMA() {
		b, acc := any(b).([]float64), any(acc).(*[mr * nr]float64)
		for r := 0; r < mr; r += 2 {
			micro64(kc, a64[r*kc:(r+2)*kc], b, acc[r*nr:(r+2)*nr])
		}
		return
	}
	microScalar(kc, a, b, acc)
}

// micro64 computes two rows of 16 float64 columns (8 accumulators).
func micro64(kc int, a, b []float64, acc []float64) {
	var c00, c01, c02, c03, c10, c11, c12, c13 archsimd.Float64x4
	a0 := a[0:kc]
	a1 := a[kc : 2*kc][:len(a0)]
	off := 0
	for kk := range a0 {
		bb := b[off : off+16 : off+16]
		off += nr
		b0 := archsimd.LoadFloat64x4((*[4]float64)(bb[0:4]))
		b1 := archsimd.LoadFloat64x4((*[4]float64)(bb[4:8]))
		b2 := archsimd.LoadFloat64x4((*[4]float64)(bb[8:12]))
		b3 := archsimd.LoadFloat64x4((*[4]float64)(bb[12:16]))
		x := archsimd.BroadcastFloat64x4(a0[kk])
		c00, c01, c02, c03 = x.MulAdd(b0, c00), x.MulAdd(b1, c01), x.MulAdd(b2, c02), x.MulAdd(b3, c03)
		x = archsimd.BroadcastFloat64x4(a1[kk])
		c10, c11, c12, c13 = x.MulAdd(b0, c10), x.MulAdd(b1, c11), x.MulAdd(b2, c12), x.MulAdd(b3, c13)
	}
	acc = acc[:32]
	c00.Store((*[4]float64)(acc[0:4]))
	c01.Store((*[4]float64)(acc[4:8]))
	c02.Store((*[4]float64)(acc[8:12]))
	c03.Store((*[4]float64)(acc[12:16]))
	c10.Store((*[4]float64)(acc[16:20]))
	c11.Store((*[4]float64)(acc[20:24]))
	c12.Store((*[4]float64)(acc[24:28]))
	c13.Store((*[4]float64)(acc[28:32]))
}

// hasFMA reports whether the CPU has AVX2 and FMA (the check of the
// assembly kernel, micro_asm_amd64.go).
func hasFMA() bool { return asmOK }

// dwPoint computes one output position of a depthwise problem with one
// output channel per group (see dwPointScalar): 16 channels at a time in
// two vectors for float32 on AVX2, the rest in plain Go.
func dwPoint[T float32 | float64](xc, kd []T, xo, ko []int, a []T) {
	c0 := 0
	if x32, ok := any(xc).([]float32); ok && hasFMA() {
		c0 = dwPoint32(x32, any(kd).([]float32), xo, ko, any(a).([]float32))
	}
	dwPointScalar(xc, kd, xo, ko, a, c0)
}

// dwPoint32 does the channels [0, 8*(len(a)/8)) of dwPoint and returns
// how many.
func dwPoint32(xc, kd []float32, xo, ko []int, a []float32) int {
	co := len(a)
	ko = ko[:len(xo)]
	c0 := 0
	for ; c0+16 <= co; c0 += 16 {
		var s0, s1 archsimd.Float32x8
		for t, x0 := range xo {
			xr := xc[x0+c0 : x0+c0+16 : x0+c0+16]
			kr := kd[ko[t]+c0 : ko[t]+c0+16 : ko[t]+c0+16]
			s0 = archsimd.LoadFloat32x8((*[8]float32)(xr[0:8])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(kr[0:8])), s0)
			s1 = archsimd.LoadFloat32x8((*[8]float32)(xr[8:16])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(kr[8:16])), s1)
		}
		s0.Store((*[8]float32)(a[c0 : c0+8]))
		s1.Store((*[8]float32)(a[c0+8 : c0+16]))
	}
	for ; c0+8 <= co; c0 += 8 {
		var s0 archsimd.Float32x8
		for t, x0 := range xo {
			s0 = archsimd.LoadFloat32x8((*[8]float32)(xc[x0+c0:x0+c0+8])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(kd[ko[t]+c0:ko[t]+c0+8])), s0)
		}
		s0.Store((*[8]float32)(a[c0 : c0+8]))
	}
	return c0
}

// dotAcc adds the products x[i]*y[i] into the 8 partial sums acc.
func dotAcc[T float32 | float64](acc *[8]T, x, y []T) {
	if xs, ok := any(x).([]float32); ok && hasFMA() {
		dotAcc32(any(acc).(*[8]float32), xs, any(y).([]float32))
		return
	}
	dotAccScalar(acc, x, y)
}

func dotAcc32(acc *[8]float32, x, y []float32) {
	n := len(x)
	y = y[:n]
	s := archsimd.LoadFloat32x8(acc)
	i := 0
	for ; i+8 <= n; i += 8 {
		s = archsimd.LoadFloat32x8((*[8]float32)(x[i:i+8])).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(y[i:i+8])), s)
	}
	s.Store(acc)
	for ; i < n; i++ {
		acc[0] += x[i] * y[i]
	}
}

// dwRow3 computes n consecutive output positions of a dense 3x3
// depthwise problem with one output channel per group and no kernel
// dilation, for the channels [0, 8*(co/8)), and returns how many channels
// it did (0 if it does not apply: float64, or no AVX2 and FMA). The first
// output's window starts at xc[x0] (channel 0), the next ones colStep
// values further; input rows are rowStep values apart, input columns cin
// values apart, channels contiguous; kd is the kernel [3][3][co] and
// acc[o*co+c] gets output o, channel c. For each block of 8 channels the
// nine kernel vectors stay in registers over the whole row.
func dwRow3[T float32 | float64](xc []T, x0, colStep, rowStep, cin int, kd []T, co, n int, acc []T) int {
	x32, ok := any(xc).([]float32)
	cv := co / lanes * lanes
	if !ok || cv == 0 || n <= 0 || !hasFMA() {
		return 0
	}
	k32, a32 := any(kd).([]float32), any(acc).([]float32)
	// Bounds, checked once: the last window's last vector, the kernel,
	// the last output's vector.
	if x0 < 0 || cin < co || x0+(n-1)*colStep+2*rowStep+2*cin+cv > len(x32) || len(k32) < 9*co || len(a32) < (n-1)*co+cv {
		return 0
	}
	cs, rs := uintptr(cin)*4, uintptr(rowStep)*4
	step := uintptr(colStep) * 4
	c0 := 0
	if asm512 {
		// Blocks of 16 channels in one AVX-512 vector; each channel's sum
		// is taken in the same order as below (the same bits).
		for ; c0+16 <= cv; c0 += 16 {
			kp := k32[c0:]
			k00 := archsimd.LoadFloat32x16((*[16]float32)(kp[0*co : 0*co+16]))
			k01 := archsimd.LoadFloat32x16((*[16]float32)(kp[1*co : 1*co+16]))
			k02 := archsimd.LoadFloat32x16((*[16]float32)(kp[2*co : 2*co+16]))
			k10 := archsimd.LoadFloat32x16((*[16]float32)(kp[3*co : 3*co+16]))
			k11 := archsimd.LoadFloat32x16((*[16]float32)(kp[4*co : 4*co+16]))
			k12 := archsimd.LoadFloat32x16((*[16]float32)(kp[5*co : 5*co+16]))
			k20 := archsimd.LoadFloat32x16((*[16]float32)(kp[6*co : 6*co+16]))
			k21 := archsimd.LoadFloat32x16((*[16]float32)(kp[7*co : 7*co+16]))
			k22 := archsimd.LoadFloat32x16((*[16]float32)(kp[8*co : 8*co+16]))
			p := unsafe.Pointer(&x32[x0+c0])
			pa := unsafe.Pointer(&a32[c0])
			for left := n; ; {
				r1, r2 := unsafe.Add(p, rs), unsafe.Add(p, 2*rs)
				s := archsimd.LoadFloat32x16((*[16]float32)(p)).Mul(k00)
				s = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p, cs))).MulAdd(k01, s)
				s = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p, 2*cs))).MulAdd(k02, s)
				s = archsimd.LoadFloat32x16((*[16]float32)(r1)).MulAdd(k10, s)
				s = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r1, cs))).MulAdd(k11, s)
				s = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r1, 2*cs))).MulAdd(k12, s)
				s = archsimd.LoadFloat32x16((*[16]float32)(r2)).MulAdd(k20, s)
				s = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r2, cs))).MulAdd(k21, s)
				s = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(r2, 2*cs))).MulAdd(k22, s)
				s.Store((*[16]float32)(pa))
				if left--; left == 0 {
					break
				}
				p = unsafe.Add(p, step)
				pa = unsafe.Add(pa, uintptr(co)*4)
			}
		}
	}
	for ; c0 < cv; c0 += lanes {
		kp := k32[c0:]
		k00 := archsimd.LoadFloat32x8((*[8]float32)(kp[0*co : 0*co+8]))
		k01 := archsimd.LoadFloat32x8((*[8]float32)(kp[1*co : 1*co+8]))
		k02 := archsimd.LoadFloat32x8((*[8]float32)(kp[2*co : 2*co+8]))
		k10 := archsimd.LoadFloat32x8((*[8]float32)(kp[3*co : 3*co+8]))
		k11 := archsimd.LoadFloat32x8((*[8]float32)(kp[4*co : 4*co+8]))
		k12 := archsimd.LoadFloat32x8((*[8]float32)(kp[5*co : 5*co+8]))
		k20 := archsimd.LoadFloat32x8((*[8]float32)(kp[6*co : 6*co+8]))
		k21 := archsimd.LoadFloat32x8((*[8]float32)(kp[7*co : 7*co+8]))
		k22 := archsimd.LoadFloat32x8((*[8]float32)(kp[8*co : 8*co+8]))
		p := unsafe.Pointer(&x32[x0+c0])
		pa := unsafe.Pointer(&a32[c0])
		for left := n; ; {
			r1, r2 := unsafe.Add(p, rs), unsafe.Add(p, 2*rs)
			s := archsimd.LoadFloat32x8((*[8]float32)(p)).Mul(k00)
			s = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, cs))).MulAdd(k01, s)
			s = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, 2*cs))).MulAdd(k02, s)
			s = archsimd.LoadFloat32x8((*[8]float32)(r1)).MulAdd(k10, s)
			s = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r1, cs))).MulAdd(k11, s)
			s = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r1, 2*cs))).MulAdd(k12, s)
			s = archsimd.LoadFloat32x8((*[8]float32)(r2)).MulAdd(k20, s)
			s = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r2, cs))).MulAdd(k21, s)
			s = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(r2, 2*cs))).MulAdd(k22, s)
			s.Store((*[8]float32)(pa))
			if left--; left == 0 {
				break
			}
			p = unsafe.Add(p, step)
			pa = unsafe.Add(pa, uintptr(co)*4)
		}
	}
	return cv
}

// dwDotRun adds to acc[c], for the channels c in [0, 8*(len(acc)/8)),
// the sum over t in [0, count) of x[xi+t*xStep+c] * k[ki+t*kStep+c], and
// returns how many channels it did (0 if it does not apply: float64, or
// no AVX2 and FMA). Each block of 8 channels sums into four vectors (taps
// t%4) added in a fixed order.
func dwDotRun[T float32 | float64](x []T, xi, xStep int, k []T, ki, kStep, count int, acc []T) int {
	x32, ok := any(x).([]float32)
	cv := len(acc) / lanes * lanes
	if !ok || cv == 0 || count <= 0 || !hasFMA() {
		return 0
	}
	k32, a32 := any(k).([]float32), any(acc).([]float32)
	if xi < 0 || ki < 0 || xStep < 0 || kStep < 0 || xi+(count-1)*xStep+cv > len(x32) || ki+(count-1)*kStep+cv > len(k32) {
		return 0
	}
	xs, ks := uintptr(xStep)*4, uintptr(kStep)*4
	c0 := 0
	if asm512 {
		// Blocks of 16 channels in AVX-512 vectors, summed as below.
		for ; c0+16 <= cv; c0 += 16 {
			px := unsafe.Pointer(&x32[xi+c0])
			pk := unsafe.Pointer(&k32[ki+c0])
			var s0, s1, s2, s3 archsimd.Float32x16
			left := count
			for left >= 4 {
				s0 = archsimd.LoadFloat32x16((*[16]float32)(px)).MulAdd(archsimd.LoadFloat32x16((*[16]float32)(pk)), s0)
				s1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, xs))).MulAdd(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pk, ks))), s1)
				s2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, 2*xs))).MulAdd(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pk, 2*ks))), s2)
				s3 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, 3*xs))).MulAdd(archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(pk, 3*ks))), s3)
				if left -= 4; left == 0 {
					break
				}
				px, pk = unsafe.Add(px, 4*xs), unsafe.Add(pk, 4*ks)
			}
			for left > 0 {
				s0 = archsimd.LoadFloat32x16((*[16]float32)(px)).MulAdd(archsimd.LoadFloat32x16((*[16]float32)(pk)), s0)
				if left--; left == 0 {
					break
				}
				px, pk = unsafe.Add(px, xs), unsafe.Add(pk, ks)
			}
			d := (*[16]float32)(a32[c0 : c0+16])
			archsimd.LoadFloat32x16(d).Add(s0.Add(s1).Add(s2.Add(s3))).Store(d)
		}
	}
	for ; c0 < cv; c0 += lanes {
		px := unsafe.Pointer(&x32[xi+c0])
		pk := unsafe.Pointer(&k32[ki+c0])
		var s0, s1, s2, s3 archsimd.Float32x8
		left := count
		for left >= 4 {
			s0 = archsimd.LoadFloat32x8((*[8]float32)(px)).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(pk)), s0)
			s1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, xs))).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pk, ks))), s1)
			s2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, 2*xs))).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pk, 2*ks))), s2)
			s3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, 3*xs))).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(pk, 3*ks))), s3)
			if left -= 4; left == 0 {
				break
			}
			px, pk = unsafe.Add(px, 4*xs), unsafe.Add(pk, 4*ks)
		}
		for left > 0 {
			s0 = archsimd.LoadFloat32x8((*[8]float32)(px)).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(pk)), s0)
			if left--; left == 0 {
				break
			}
			px, pk = unsafe.Add(px, xs), unsafe.Add(pk, ks)
		}
		d := (*[8]float32)(a32[c0 : c0+8])
		archsimd.LoadFloat32x8(d).Add(s0.Add(s1).Add(s2.Add(s3))).Store(d)
	}
	return cv
}

// dwRowDense computes the first outputs of n consecutive output
// positions of a dense depthwise row of stride 1 with a kernel kw wide (5
// or 7) and one output channel per group, over rows kernel rows, for
// the channels [0, 8*(co/8)), eight outputs at a time (four on the AVX2
// path), and returns how many outputs it did (0 if it does not apply:
// float64, no AVX2 and FMA, another width, operands too short). Output o,
// channel c is acc[o*co+c] = the sum over kernel rows i < rows, then
// columns j < kw, from zero, of xc[x0+i*rs+(o+j)*cin+c] *
// kd[k0+(i*kw+j)*co+c]: the sums of dwRowTaps with its taps in that
// order. A kernel row's input columns are loaded once for all the outputs
// that read them (dwDense512K7 and the like).
func dwRowDense[T float32 | float64](xc []T, x0, rs, cin int, kd []T, k0, rows, kw, co, n int, acc []T) int {
	x32, ok := any(xc).([]float32)
	cv := co / lanes * lanes
	if !ok || cv == 0 || rows <= 0 || n <= 0 || !hasFMA() || kw < 0 || kw >= len(dwDense256) || dwDense256[kw] == nil || cin < cv {
		return 0
	}
	f512, f256 := dwDense512[kw], dwDense256[kw]
	group := 4
	if asm512 {
		group = 8
	}
	nd := n / group * group
	if nd == 0 {
		return 0
	}
	k32, a32 := any(kd).([]float32), any(acc).([]float32)
	// Bounds, checked once: the last output's last input vector, the
	// last kernel vector, the last output's vector.
	if x0 < 0 || k0 < 0 || x0+(rows-1)*rs+(nd+kw-2)*cin+cv > len(x32) || k0+(rows*kw-1)*co+cv > len(k32) || (nd-1)*co+cv > len(a32) {
		return 0
	}
	cs, rsb, ks := uintptr(cin)*4, uintptr(rs)*4, uintptr(co)*4
	for o := 0; o < nd; o += group {
		px, pa := unsafe.Pointer(&x32[x0+o*cin]), unsafe.Pointer(&a32[o*co])
		pk := unsafe.Pointer(&k32[k0])
		c0 := 0
		if asm512 {
			for ; c0+16 <= cv; c0 += 16 {
				f512(unsafe.Add(px, c0*4), cs, rsb, rows, unsafe.Add(pk, c0*4), ks, unsafe.Add(pa, c0*4), ks)
			}
		}
		for ; c0 < cv; c0 += lanes {
			for h := 0; h < group; h += 4 {
				f256(unsafe.Add(px, uintptr(h)*cs+uintptr(c0)*4), cs, rsb, rows, unsafe.Add(pk, c0*4), ks, unsafe.Add(pa, uintptr(h)*ks+uintptr(c0)*4), ks)
			}
		}
	}
	return nd
}

// dwRowTaps computes n output positions of a depthwise problem with one
// output channel per group from a fixed list of taps, for the channels
// [0, 8*(co/8)), and returns how many channels it did (0 if it does not
// apply: float64, no AVX2 and FMA, or operands too short). Output o,
// channel c is acc[o*accStep+c] = sum over t of
// xc[x0+o*colStep+xo[t]+c] * kd[ko[t]+c]. The outputs go four at a
// time, each kernel vector loaded once for the four, channels in blocks
// of 16 then 8 inside.
func dwRowTaps[T float32 | float64](xc []T, x0, colStep int, xo []int, kd []T, ko []int, co, n int, acc []T, accStep int) int {
	x32, ok := any(xc).([]float32)
	cv := co / lanes * lanes
	if !ok || cv == 0 || n <= 0 || len(ko) < len(xo) || !hasFMA() {
		return 0
	}
	k32, a32 := any(kd).([]float32), any(acc).([]float32)
	ko = ko[:len(xo)]
	if x0 < 0 || colStep < 0 || accStep < cv || len(a32) < (n-1)*accStep+cv {
		return 0
	}
	// Bounds, checked once: every tap of the last output, every kernel
	// vector.
	last := x0 + (n-1)*colStep + cv
	for t, xt := range xo {
		if xt < 0 || ko[t] < 0 || last+xt > len(x32) || ko[t]+cv > len(k32) {
			return 0
		}
	}
	if len(xo) == 0 {
		for o := range n {
			clear(a32[o*accStep : o*accStep+cv])
		}
		return cv
	}
	cs, as := uintptr(colStep)*4, uintptr(accStep)*4
	o := 0
	// Eight outputs at a time in assembly (dwTaps512, dwTaps256): the
	// same sums in the same order, without the compiled loop's copies
	// and reloads.
	for ; o+8 <= n; o += 8 {
		c0 := 0
		px, pa := unsafe.Pointer(&x32[x0+o*colStep]), unsafe.Pointer(&a32[o*accStep])
		if asm512 {
			for ; c0+16 <= cv; c0 += 16 {
				dwTaps512(unsafe.Add(px, c0*4), cs, &xo[0], &ko[0], len(xo), unsafe.Pointer(&k32[c0]), unsafe.Add(pa, c0*4), as)
			}
		}
		for ; c0 < cv; c0 += lanes {
			dwTaps256(unsafe.Add(px, c0*4), cs, &xo[0], &ko[0], len(xo), unsafe.Pointer(&k32[c0]), unsafe.Add(pa, c0*4), as)
		}
	}
	// Then four outputs at a time, channels inner (the outputs' rows are
	// read and written in order): blocks of 16 channels in eight
	// accumulators, two kernel vectors per tap, then one of 8.
	for ; o+4 <= n; o += 4 {
		c0 := 0
		if asm512 {
			// 16 channels in one AVX-512 vector per output, summed as below.
			for ; c0+16 <= cv; c0 += 16 {
				px := unsafe.Pointer(&x32[x0+o*colStep+c0])
				var s0, s1, s2, s3 archsimd.Float32x16
				for t, xt := range xo {
					kv := archsimd.LoadFloat32x16((*[16]float32)(k32[ko[t]+c0 : ko[t]+c0+16]))
					p := unsafe.Add(px, uintptr(xt)*4)
					s0 = archsimd.LoadFloat32x16((*[16]float32)(p)).MulAdd(kv, s0)
					s1 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p, cs))).MulAdd(kv, s1)
					s2 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p, 2*cs))).MulAdd(kv, s2)
					s3 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(p, 3*cs))).MulAdd(kv, s3)
				}
				pa := unsafe.Pointer(&a32[o*accStep+c0])
				s0.Store((*[16]float32)(pa))
				s1.Store((*[16]float32)(unsafe.Add(pa, as)))
				s2.Store((*[16]float32)(unsafe.Add(pa, 2*as)))
				s3.Store((*[16]float32)(unsafe.Add(pa, 3*as)))
			}
		}
		for ; c0+2*lanes <= cv; c0 += 2 * lanes {
			px := unsafe.Pointer(&x32[x0+o*colStep+c0])
			var s0, s1, s2, s3, u0, u1, u2, u3 archsimd.Float32x8
			for t, xt := range xo {
				kr := k32[ko[t]+c0 : ko[t]+c0+16 : ko[t]+c0+16]
				kv := archsimd.LoadFloat32x8((*[8]float32)(kr[0:8]))
				kw := archsimd.LoadFloat32x8((*[8]float32)(kr[8:16]))
				p := unsafe.Add(px, uintptr(xt)*4)
				q := unsafe.Add(p, 32)
				s0 = archsimd.LoadFloat32x8((*[8]float32)(p)).MulAdd(kv, s0)
				u0 = archsimd.LoadFloat32x8((*[8]float32)(q)).MulAdd(kw, u0)
				s1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, cs))).MulAdd(kv, s1)
				u1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(q, cs))).MulAdd(kw, u1)
				s2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, 2*cs))).MulAdd(kv, s2)
				u2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(q, 2*cs))).MulAdd(kw, u2)
				s3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, 3*cs))).MulAdd(kv, s3)
				u3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(q, 3*cs))).MulAdd(kw, u3)
			}
			pa := unsafe.Pointer(&a32[o*accStep+c0])
			s0.Store((*[8]float32)(pa))
			u0.Store((*[8]float32)(unsafe.Add(pa, 32)))
			s1.Store((*[8]float32)(unsafe.Add(pa, as)))
			u1.Store((*[8]float32)(unsafe.Add(pa, as+32)))
			s2.Store((*[8]float32)(unsafe.Add(pa, 2*as)))
			u2.Store((*[8]float32)(unsafe.Add(pa, 2*as+32)))
			s3.Store((*[8]float32)(unsafe.Add(pa, 3*as)))
			u3.Store((*[8]float32)(unsafe.Add(pa, 3*as+32)))
		}
		if c0 < cv {
			px := unsafe.Pointer(&x32[x0+o*colStep+c0])
			var s0, s1, s2, s3 archsimd.Float32x8
			for t, xt := range xo {
				kv := archsimd.LoadFloat32x8((*[8]float32)(k32[ko[t]+c0 : ko[t]+c0+8]))
				p := unsafe.Add(px, uintptr(xt)*4)
				s0 = archsimd.LoadFloat32x8((*[8]float32)(p)).MulAdd(kv, s0)
				s1 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, cs))).MulAdd(kv, s1)
				s2 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, 2*cs))).MulAdd(kv, s2)
				s3 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, 3*cs))).MulAdd(kv, s3)
			}
			pa := unsafe.Pointer(&a32[o*accStep+c0])
			s0.Store((*[8]float32)(pa))
			s1.Store((*[8]float32)(unsafe.Add(pa, as)))
			s2.Store((*[8]float32)(unsafe.Add(pa, 2*as)))
			s3.Store((*[8]float32)(unsafe.Add(pa, 3*as)))
		}
	}
	for ; o < n; o++ {
		c0 := 0
		if asm512 {
			for ; c0+16 <= cv; c0 += 16 {
				px := unsafe.Pointer(&x32[x0+o*colStep+c0])
				var s0 archsimd.Float32x16
				for t, xt := range xo {
					kv := archsimd.LoadFloat32x16((*[16]float32)(k32[ko[t]+c0 : ko[t]+c0+16]))
					s0 = archsimd.LoadFloat32x16((*[16]float32)(unsafe.Add(px, uintptr(xt)*4))).MulAdd(kv, s0)
				}
				s0.Store((*[16]float32)(a32[o*accStep+c0 : o*accStep+c0+16]))
			}
		}
		for ; c0+2*lanes <= cv; c0 += 2 * lanes {
			px := unsafe.Pointer(&x32[x0+o*colStep+c0])
			var s0, u0 archsimd.Float32x8
			for t, xt := range xo {
				kr := k32[ko[t]+c0 : ko[t]+c0+16 : ko[t]+c0+16]
				p := unsafe.Add(px, uintptr(xt)*4)
				s0 = archsimd.LoadFloat32x8((*[8]float32)(p)).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(kr[0:8])), s0)
				u0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(p, 32))).MulAdd(archsimd.LoadFloat32x8((*[8]float32)(kr[8:16])), u0)
			}
			a := a32[o*accStep+c0 : o*accStep+c0+16 : o*accStep+c0+16]
			s0.Store((*[8]float32)(a[0:8]))
			u0.Store((*[8]float32)(a[8:16]))
		}
		if c0 < cv {
			px := unsafe.Pointer(&x32[x0+o*colStep+c0])
			var s0 archsimd.Float32x8
			for t, xt := range xo {
				kv := archsimd.LoadFloat32x8((*[8]float32)(k32[ko[t]+c0 : ko[t]+c0+8]))
				s0 = archsimd.LoadFloat32x8((*[8]float32)(unsafe.Add(px, uintptr(xt)*4))).MulAdd(kv, s0)
			}
			s0.Store((*[8]float32)(a32[o*accStep+c0 : o*accStep+c0+8]))
		}
	}
	return cv
}
