//go:build goexperiment.simd && amd64

package norm

import (
	"simd/archsimd"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/isa"
)

// pick returns the row kernels for T: for float32 on AVX2, vector kernels
// over groups of 8 features (the last C mod 8 features by the scalar
// kernels), on AVX-512 over groups of 16 first; otherwise plain Go.
func pick[T float32 | float64]() kernels[T] { return pickFor[T](isa.AVX512) }

// pickFor is pick with the AVX-512 kernels allowed or not.
func pickFor[T float32 | float64](avx512 bool) kernels[T] {
	var k kernels[T]
	if !archsimd.X86.AVX2() {
		return scalarKernels[T]()
	}
	kp, ok := any(&k).(*kernels[float32])
	if !ok {
		return scalarKernels[T]()
	}
	*kp = kernels[float32]{stats: stats32, gradSums: gradSums32, affine: affine32, gx: gx32}
	if avx512 && archsimd.X86.AVX512() {
		*kp = kernels[float32]{stats: stats512, gradSums: gradSums512, affine: affine512, gx: gx512}
	}
	return k
}

// load4 loads x[i:i+4] as float64.
func load4(x []float32, i int) archsimd.Float64x4 {
	return archsimd.LoadFloat32x4((*[4]float32)(x[i : i+4])).ConvertToFloat64()
}

func ld64(s []float64, i int) archsimd.Float64x4 {
	return archsimd.LoadFloat64x4((*[4]float64)(s[i : i+4]))
}

func st64(v archsimd.Float64x4, s []float64, i int) { v.Store((*[4]float64)(s[i : i+4])) }

func ld32(s []float32, i int) archsimd.Float32x8 {
	return archsimd.LoadFloat32x8((*[8]float32)(s[i : i+8]))
}

// stats32 is kernels.stats in float64 vectors of 4 features.
func stats32(x []float32, c int, k, s1, s2 []float64, lo, hi int) {
	stats8(x, c, 0, k, s1, s2, lo, hi)
}

// stats8 is kernels.stats for features [ch, c), 8 at a time.
func stats8(x []float32, c, ch int, k, s1, s2 []float64, lo, hi int) {
	for ; ch+8 <= c; ch += 8 {
		k0, k1 := ld64(k, ch), ld64(k, ch+4)
		a0, a1 := ld64(s1, ch), ld64(s1, ch+4)
		b0, b1 := ld64(s2, ch), ld64(s2, ch+4)
		for o := lo; o < hi; o++ {
			i := o*c + ch
			d0 := load4(x, i).Sub(k0)
			d1 := load4(x, i+4).Sub(k1)
			a0, a1 = a0.Add(d0), a1.Add(d1)
			b0, b1 = b0.Add(d0.Mul(d0)), b1.Add(d1.Mul(d1))
		}
		st64(a0, s1, ch)
		st64(a1, s1, ch+4)
		st64(b0, s2, ch)
		st64(b1, s2, ch+4)
	}
	if ch < c {
		statsScalar(x, c, ch, k, s1, s2, lo, hi)
	}
}

// gradSums32 is kernels.gradSums in float64 vectors of 4 features.
func gradSums32(x, gy []float32, c int, m, sg, sgx []float64, lo, hi int) {
	gradSums8(x, gy, c, 0, m, sg, sgx, lo, hi)
}

// gradSums8 is kernels.gradSums for features [ch, c), 8 at a time.
func gradSums8(x, gy []float32, c, ch int, m, sg, sgx []float64, lo, hi int) {
	for ; ch+8 <= c; ch += 8 {
		m0, m1 := ld64(m, ch), ld64(m, ch+4)
		a0, a1 := ld64(sg, ch), ld64(sg, ch+4)
		b0, b1 := ld64(sgx, ch), ld64(sgx, ch+4)
		for o := lo; o < hi; o++ {
			i := o*c + ch
			g0, g1 := load4(gy, i), load4(gy, i+4)
			a0, a1 = a0.Add(g0), a1.Add(g1)
			b0 = b0.Add(g0.Mul(load4(x, i).Sub(m0)))
			b1 = b1.Add(g1.Mul(load4(x, i+4).Sub(m1)))
		}
		st64(a0, sg, ch)
		st64(a1, sg, ch+4)
		st64(b0, sgx, ch)
		st64(b1, sgx, ch+4)
	}
	if ch < c {
		gradSumsScalar(x, gy, c, ch, m, sg, sgx, lo, hi)
	}
}

// affine32 is kernels.affine in float32 vectors of 8 features (a multiply
// and an add, not fused, as the scalar kernel).
func affine32(x, y, a, b []float32, c, lo, hi int) { affine8(x, y, a, b, c, 0, lo, hi) }

// affine8 is kernels.affine for features [c0, c), 8 at a time.
func affine8(x, y, a, b []float32, c, c0, lo, hi int) {
	c8 := c0 + (c-c0)&^7
	for o := lo; o < hi; o++ {
		r := o * c
		for ch := c0; ch < c8; ch += 8 {
			ld32(x, r+ch).Mul(ld32(a, ch)).Add(ld32(b, ch)).Store((*[8]float32)(y[r+ch : r+ch+8]))
		}
	}
	if c8 < c {
		affineScalar(x, y, a, b, c, c8, lo, hi)
	}
}

// gx32 is kernels.gx in float32 vectors of 8 features.
func gx32(x, gy, out, ka, kb, kc []float32, c, lo, hi int) { gx8(x, gy, out, ka, kb, kc, c, 0, lo, hi) }

// gx8 is kernels.gx for features [c0, c), 8 at a time.
func gx8(x, gy, out, ka, kb, kc []float32, c, c0, lo, hi int) {
	c8 := c0 + (c-c0)&^7
	for o := lo; o < hi; o++ {
		r := o * c
		for ch := c0; ch < c8; ch += 8 {
			v := ld32(ka, ch).Mul(ld32(gy, r+ch)).Add(ld32(kb, ch).Mul(ld32(x, r+ch))).Add(ld32(kc, ch))
			v.Store((*[8]float32)(out[r+ch : r+ch+8]))
		}
	}
	if c8 < c {
		gxScalar(x, gy, out, ka, kb, kc, c, c8, lo, hi)
	}
}

// The AVX-512 kernels below take 16 features at a time, each summed in row
// order with the same operations, then leave the rest to the 8-wide ones:
// they give the AVX2 kernels' bits.

// load8 loads x[i:i+8] as float64.
func load8(x []float32, i int) archsimd.Float64x8 {
	return archsimd.LoadFloat32x8((*[8]float32)(x[i : i+8])).ConvertToFloat64()
}

func ld64x8(s []float64, i int) archsimd.Float64x8 {
	return archsimd.LoadFloat64x8((*[8]float64)(s[i : i+8]))
}

func st64x8(v archsimd.Float64x8, s []float64, i int) { v.Store((*[8]float64)(s[i : i+8])) }

func ld32x16(s []float32, i int) archsimd.Float32x16 {
	return archsimd.LoadFloat32x16((*[16]float32)(s[i : i+16]))
}

// stats512 is kernels.stats in float64 vectors of 8 features.
func stats512(x []float32, c int, k, s1, s2 []float64, lo, hi int) {
	ch := 0
	for ; ch+16 <= c; ch += 16 {
		k0, k1 := ld64x8(k, ch), ld64x8(k, ch+8)
		a0, a1 := ld64x8(s1, ch), ld64x8(s1, ch+8)
		b0, b1 := ld64x8(s2, ch), ld64x8(s2, ch+8)
		for o := lo; o < hi; o++ {
			i := o*c + ch
			d0 := load8(x, i).Sub(k0)
			d1 := load8(x, i+8).Sub(k1)
			a0, a1 = a0.Add(d0), a1.Add(d1)
			b0, b1 = b0.Add(d0.Mul(d0)), b1.Add(d1.Mul(d1))
		}
		st64x8(a0, s1, ch)
		st64x8(a1, s1, ch+8)
		st64x8(b0, s2, ch)
		st64x8(b1, s2, ch+8)
	}
	stats8(x, c, ch, k, s1, s2, lo, hi)
}

// gradSums512 is kernels.gradSums in float64 vectors of 8 features.
func gradSums512(x, gy []float32, c int, m, sg, sgx []float64, lo, hi int) {
	ch := 0
	for ; ch+16 <= c; ch += 16 {
		m0, m1 := ld64x8(m, ch), ld64x8(m, ch+8)
		a0, a1 := ld64x8(sg, ch), ld64x8(sg, ch+8)
		b0, b1 := ld64x8(sgx, ch), ld64x8(sgx, ch+8)
		for o := lo; o < hi; o++ {
			i := o*c + ch
			g0, g1 := load8(gy, i), load8(gy, i+8)
			a0, a1 = a0.Add(g0), a1.Add(g1)
			b0 = b0.Add(g0.Mul(load8(x, i).Sub(m0)))
			b1 = b1.Add(g1.Mul(load8(x, i+8).Sub(m1)))
		}
		st64x8(a0, sg, ch)
		st64x8(a1, sg, ch+8)
		st64x8(b0, sgx, ch)
		st64x8(b1, sgx, ch+8)
	}
	gradSums8(x, gy, c, ch, m, sg, sgx, lo, hi)
}

// affine512 is kernels.affine in float32 vectors of 16 features.
func affine512(x, y, a, b []float32, c, lo, hi int) {
	c16 := c &^ 15
	for o := lo; o < hi; o++ {
		r := o * c
		for ch := 0; ch < c16; ch += 16 {
			ld32x16(x, r+ch).Mul(ld32x16(a, ch)).Add(ld32x16(b, ch)).Store((*[16]float32)(y[r+ch : r+ch+16]))
		}
	}
	if c16 < c {
		affine8(x, y, a, b, c, c16, lo, hi)
	}
}

// gx512 is kernels.gx in float32 vectors of 16 features.
func gx512(x, gy, out, ka, kb, kc []float32, c, lo, hi int) {
	c16 := c &^ 15
	for o := lo; o < hi; o++ {
		r := o * c
		for ch := 0; ch < c16; ch += 16 {
			v := ld32x16(ka, ch).Mul(ld32x16(gy, r+ch)).Add(ld32x16(kb, ch).Mul(ld32x16(x, r+ch))).Add(ld32x16(kc, ch))
			v.Store((*[16]float32)(out[r+ch : r+ch+16]))
		}
	}
	if c16 < c {
		gx8(x, gy, out, ka, kb, kc, c, c16, lo, hi)
	}
}
