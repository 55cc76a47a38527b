package conv

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/isa"
)

// asmOK reports whether the CPU runs the assembly micro kernels (AVX2 and
// FMA); asm512 whether it runs the AVX-512 one (see package isa).
var asmOK, asm512 = isa.AVX2, isa.AVX512

// microAsm is the float32 micro kernel in assembly (micro_amd64.s): acc
// gets the mr x nr tile A·B over nseg >= 1 segments of kc >= 1 steps,
// A(r, s, kk) being the float32 at a + r*rs + s*segs + kk*ks bytes and B
// the panel b ([nseg*kc][nr]). It
// needs AVX2 and FMA. Go's SIMD intrinsics have only the FMA form that
// overwrites a multiplicand, which costs a register copy or a reload per
// product; the assembly accumulates in place and broadcasts A from
// memory.
//
//go:noescape
func microAsm(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)

// microAsm512 is microAsm for 8 rows with AVX-512F (micro_amd64.s).
//
//go:noescape
func microAsm512(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)

// microAsm512x2 is microAsm512 for two panels of B, b and b+bs bytes,
// into acc0 and acc1, with the bits of two microAsm512 calls (micro_amd64.s).
//
//go:noescape
func microAsm512x2(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, bs uintptr, acc0, acc1 unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)

// microAsm512x2h is microAsm512x2 with only the first 8 columns of the
// second panel: acc1's columns 8-15 are left as they are (micro_amd64.s).
//
//go:noescape
func microAsm512x2h(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, bs uintptr, acc0, acc1 unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)

// microAsm8 is the first 8 columns of microAsm512's tile with AVX2 and
// FMA: acc's columns 8-15 are left as they are (micro_amd64.s).
//
//go:noescape
func microAsm8(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)

// dwTaps512 computes 8 depthwise outputs of 16 channels from a list of
// taps, 8 multiply-adds per kernel vector (micro_amd64.s, AVX-512F):
// output o, channel c at acc+o*accStep bytes is the sum over t < ntaps,
// in order, from zero, of x[o*colStep/4+xo[t]+c] * k[ko[t]+c] (colStep in
// bytes). ntaps >= 1; the caller checks every read and write.
//
//go:noescape
func dwTaps512(x unsafe.Pointer, colStep uintptr, xo, ko *int, ntaps int, k, acc unsafe.Pointer, accStep uintptr)

// dwTaps256 is dwTaps512 for 8 channels with AVX2 and FMA.
//
//go:noescape
func dwTaps256(x unsafe.Pointer, colStep uintptr, xo, ko *int, ntaps int, k, acc unsafe.Pointer, accStep uintptr)

// The dense depthwise row kernels (micro_amd64.s), one per kernel width
// (5 and 7; dwRow3 keeps 3x3 kernels in registers, as fast here):
// 8 outputs of 16 channels (AVX-512F) or 4 of 8 (AVX2), stride 1, each
// output's sum over the kernel rows and columns in row-major order from
// zero. x is output 0's input at kernel row 0, column 0; cs the bytes
// between input columns and rs between input rows; rows >= 1 kernel rows;
// k the kernel at row 0, column 0, kcs bytes between its columns (its
// rows kw*kcs apart); acc output 0, as bytes between outputs. The caller
// checks every read and write.
//
//go:noescape
func dwDense512K5(x unsafe.Pointer, cs, rs uintptr, rows int, k unsafe.Pointer, kcs uintptr, acc unsafe.Pointer, as uintptr)

//go:noescape
func dwDense512K7(x unsafe.Pointer, cs, rs uintptr, rows int, k unsafe.Pointer, kcs uintptr, acc unsafe.Pointer, as uintptr)

//go:noescape
func dwDense256K5(x unsafe.Pointer, cs, rs uintptr, rows int, k unsafe.Pointer, kcs uintptr, acc unsafe.Pointer, as uintptr)

//go:noescape
func dwDense256K7(x unsafe.Pointer, cs, rs uintptr, rows int, k unsafe.Pointer, kcs uintptr, acc unsafe.Pointer, as uintptr)

// dwDenseKernel is one of the dense depthwise row kernels.
type dwDenseKernel func(x unsafe.Pointer, cs, rs uintptr, rows int, k unsafe.Pointer, kcs uintptr, acc unsafe.Pointer, as uintptr)

// dwDense512, dwDense256: the kernels by kernel width (nil: none).
var (
	dwDense512 = [8]dwDenseKernel{5: dwDense512K5, 7: dwDense512K7}
	dwDense256 = [8]dwDenseKernel{5: dwDense256K5, 7: dwDense256K7}
)

// tileOut writes (or, with add, adds) the tile acc into 8 output rows of
// 16 values, row r at out + r*os bytes (micro_amd64.s; AVX2).
//
//go:noescape
func tileOut(out unsafe.Pointer, os uintptr, acc *[8 * nr]float32, add bool)

// storeTile32 writes (first) or adds the mr x nr tile acc into out, row r
// at out[base+r*stride:][:nr], in one assembly call, and reports true;
// it reports false (and does nothing) where that does not apply: without
// the assembly kernels, or rows that would overlap or run past out.
func storeTile32[T float32 | float64](out []T, base, stride int, acc *[mr * nr]T, first bool) bool {
	o, ok := any(out).([]float32)
	if !ok || !asmOK || stride < nr || base < 0 || base+(mr-1)*stride+nr > len(o) {
		return false
	}
	tileOut(unsafe.Pointer(&o[base]), uintptr(stride)*4, any(acc).(*[mr * nr]float32), !first)
	return true
}

// microStrided32 computes acc = A·B for the mr x kc matrix A(r, kk) =
// a[r*rs+kk*ks] and the packed panel b ([kc][nr]) with microAsm, after
// checking that every element it reads is inside a and b: one AVX-512
// call, or two AVX2 calls of 4 rows each. The caller checks asmOK.
func microStrided32(kc int, a []float32, rs, ks int, b []float32, acc *[mr * nr]float32) {
	microSum32(kc, a, rs, ks, b, acc, false)
}

// microSum32 is microStrided32, with acc += A·B instead when load is set:
// each sum goes on from acc's value in the same order, so that a sum split
// into calls gives the bits of one call.
func microSum32(kc int, a []float32, rs, ks int, b []float32, acc *[mr * nr]float32, load bool) {
	microSeg32(kc, 1, a, rs, ks, 0, b, acc, load)
}

// microSeg32 is microSum32 over nseg segments of kc steps in one call,
// segment s's A(r, kk) being a[r*rs+s*segs+kk*ks] and B continuing over
// nseg*kc steps: the bits of nseg microSum32 calls, with one load and
// store of the tile.
func microSeg32(kc, nseg int, a []float32, rs, ks, segs int, b []float32, acc *[mr * nr]float32, load bool) {
	if kc <= 0 || nseg <= 0 {
		if !load {
			*acc = [mr * nr]float32{}
		}
		return
	}
	d := accDst(acc, nil)
	microSegTo32(kc, nseg, a, rs, ks, segs, b, &d, load)
}

// accDst is the tileDst of the accumulator arrays acc0 and acc1 (rows of
// nr float32).
func accDst(acc0, acc1 *[mr * nr]float32) tileDst {
	return tileDst{d0: unsafe.Pointer(acc0), d1: unsafe.Pointer(acc1), ds: nr * 4}
}

// microSegTo32 is microSeg32 into d's first panel (kc, nseg >= 1).
func microSegTo32(kc, nseg int, a []float32, rs, ks, segs int, b []float32, d *tileDst, load bool) {
	if rs < 0 || ks < 0 || segs < 0 || (mr-1)*rs+(nseg-1)*segs+(kc-1)*ks >= len(a) || nseg*kc*nr > len(b) {
		panic(fmt.Sprintf("conv: micro kernel reads past its operands: kc %d x %d, strides %d/%d/%d, %d A and %d B values", kc, nseg, rs, ks, segs, len(a), len(b)))
	}
	pa, pb := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b))
	if asm512 {
		microAsm512(kc, pa, uintptr(rs)*4, uintptr(ks)*4, pb, d.d0, load, nseg, uintptr(segs)*4, d.ds, d.epi)
		return
	}
	microAsm(kc, pa, uintptr(rs)*4, uintptr(ks)*4, pb, d.d0, load, nseg, uintptr(segs)*4, d.ds, d.epi)
	microAsm(kc, unsafe.Add(pa, 4*rs*4), uintptr(rs)*4, uintptr(ks)*4, pb, unsafe.Add(d.d0, 4*d.ds), load, nseg, uintptr(segs)*4, d.ds, d.epi)
}

// microSum32x2 is microSum32 for two panels of B, b[:kc*nr] into acc0 and
// b[bs:][:kc*nr] into acc1, with the bits of two microSum32 calls. On the
// AVX-512 path one call shares each broadcast value of A between the two
// panels and keeps sixteen sums in flight instead of eight. With half,
// only the second panel's first 8 columns are computed (a last panel with
// no more columns in use): acc1's columns 8-15 are left as they are.
func microSum32x2(kc int, a []float32, rs, ks int, b []float32, bs int, acc0, acc1 *[mr * nr]float32, load, half bool) {
	microSeg32x2(kc, 1, a, rs, ks, 0, b, bs, acc0, acc1, load, half)
}

// microSeg32x2 is microSum32x2 over nseg segments (microSeg32).
func microSeg32x2(kc, nseg int, a []float32, rs, ks, segs int, b []float32, bs int, acc0, acc1 *[mr * nr]float32, load, half bool) {
	if kc <= 0 || nseg <= 0 {
		if !load {
			*acc0 = [mr * nr]float32{}
			for r := range mr {
				clear(acc1[r*nr : r*nr+nr/2])
				if !half {
					clear(acc1[r*nr+nr/2 : (r+1)*nr])
				}
			}
		}
		return
	}
	d := accDst(acc0, acc1)
	microSegTo32x2(kc, nseg, a, rs, ks, segs, b, bs, &d, load, half)
}

// microSegTo32x2 is microSeg32x2 into d (kc, nseg >= 1).
func microSegTo32x2(kc, nseg int, a []float32, rs, ks, segs int, b []float32, bs int, d *tileDst, load, half bool) {
	if !asm512 {
		// AVX2: the first panel in two calls of 4 rows (microSegTo32),
		// the second in two more or, half, its 8 columns in one.
		d1, e1 := d.second()
		if d.epi != nil {
			d1.epi = &e1
		}
		microSegTo32(kc, nseg, a, rs, ks, segs, b, d, load)
		if !half {
			microSegTo32(kc, nseg, a, rs, ks, segs, b[bs:], &d1, load)
			return
		}
		checkPair(kc, nseg, a, rs, ks, segs, b, bs)
		microAsm8(kc, unsafe.Pointer(unsafe.SliceData(a)), uintptr(rs)*4, uintptr(ks)*4, unsafe.Pointer(&b[bs]), d1.d0, load, nseg, uintptr(segs)*4, d1.ds, d1.epi)
		return
	}
	checkPair(kc, nseg, a, rs, ks, segs, b, bs)
	pa, pb := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b))
	if half {
		microAsm512x2h(kc, pa, uintptr(rs)*4, uintptr(ks)*4, pb, uintptr(bs)*4, d.d0, d.d1, load, nseg, uintptr(segs)*4, d.ds, d.epi)
		return
	}
	microAsm512x2(kc, pa, uintptr(rs)*4, uintptr(ks)*4, pb, uintptr(bs)*4, d.d0, d.d1, load, nseg, uintptr(segs)*4, d.ds, d.epi)
}

// checkPair panics unless every element microSegTo32x2's one-call kernels
// read is inside a and b.
func checkPair(kc, nseg int, a []float32, rs, ks, segs int, b []float32, bs int) {
	if rs < 0 || ks < 0 || bs < 0 || segs < 0 || (mr-1)*rs+(nseg-1)*segs+(kc-1)*ks >= len(a) || bs+nseg*kc*nr > len(b) {
		panic(fmt.Sprintf("conv: micro kernel reads past its operands: kc %d x %d, strides %d/%d/%d/%d, %d A and %d B values", kc, nseg, rs, ks, segs, bs, len(a), len(b)))
	}
}

// colsOK reports whether the assembly micro kernels run for T (micro,
// microRowsSeg and the kernels that read A in place use them): float32 on
// a CPU with AVX2 and FMA.
func colsOK[T float32 | float64]() bool {
	var zero T
	_, ok := any(zero).(float32)
	return ok && asmOK
}

// microRowsSeg is micro for mr rows of A read in place over nseg segments
// of kc steps, A(r, s, kk) being src[r*rs+s*segs+kk*ks], with acc += A·B
// when load is set (microSeg32): rows of an input read in place (ks 1) or
// its columns (rs 1). With d the tile goes to d instead of acc. Only where
// colsOK.
func microRowsSeg[T float32 | float64](kc, nseg int, src []T, rs, ks, segs int, b []T, acc *[mr * nr]T, d *tileDst, load bool) {
	if d != nil {
		microSegTo32(kc, nseg, any(src).([]float32), rs, ks, segs, any(b).([]float32), d, load)
		return
	}
	microSeg32(kc, nseg, any(src).([]float32), rs, ks, segs, any(b).([]float32), any(acc).(*[mr * nr]float32), load)
}

// microRowsSeg2 is microRowsSeg for two panels of B, the second one
// possibly half (microSeg32x2).
func microRowsSeg2[T float32 | float64](kc, nseg int, src []T, rs, ks, segs int, b []T, bs int, acc0, acc1 *[mr * nr]T, d *tileDst, load, half bool) {
	if d != nil {
		microSegTo32x2(kc, nseg, any(src).([]float32), rs, ks, segs, any(b).([]float32), bs, d, load, half)
		return
	}
	microSeg32x2(kc, nseg, any(src).([]float32), rs, ks, segs, any(b).([]float32), bs, any(acc0).(*[mr * nr]float32), any(acc1).(*[mr * nr]float32), load, half)
}

// fmaLoop512 and fmaLoop256 run n rounds of 12 independent multiply-adds
// of 16 (AVX-512) or 8 (AVX2) float32 lanes (micro_amd64.s).
func fmaLoop512(n int)
func fmaLoop256(n int)

// FMAPeak measures the float32 multiply-add peak, in GFLOP/s, of workers
// goroutines at once on the vector path the micro kernel takes (0 where
// it has none): the yardstick of the kernels' GFLOP/s in the benchmarks.
func FMAPeak(workers int) float64 {
	if !asmOK {
		return 0
	}
	const rounds = 1 << 22
	loop, lanes := fmaLoop256, 8
	if asm512 {
		loop, lanes = fmaLoop512, 16
	}
	workers = max(1, workers)
	best := time.Duration(1 << 62)
	for range 3 {
		var wg sync.WaitGroup
		t0 := time.Now()
		for range workers {
			wg.Go(func() { loop(rounds) })
		}
		wg.Wait()
		best = min(best, time.Since(t0))
	}
	return float64(workers) * rounds * 12 * float64(lanes) * 2 / best.Seconds() / 1e9
}
