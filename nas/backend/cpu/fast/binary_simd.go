//go:build goexperiment.simd && amd64

package fast

import (
	"simd/archsimd"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/isa"
)

// wide is whether the 16-wide AVX-512 loops run (isa.AVX512); the 8-wide
// ones take what is left.
var wide = isa.AVX512 && archsimd.X86.AVX512()

// mul32 is Mul on a float32 part, eight values at a time with AVX2 where
// the CPU has it, sixteen with AVX-512.
func mul32(lhs, rhs, out []float32) {
	if !archsimd.X86.AVX2() {
		mulScalar(lhs, rhs, out)
		return
	}
	out = out[:len(lhs)]
	i := 0
	if wide {
		i = mul16(lhs, rhs, out)
	}
	if len(rhs) == 1 && len(lhs) != 1 {
		y := archsimd.BroadcastFloat32x8(rhs[0])
		for ; i+8 <= len(lhs); i += 8 {
			x := archsimd.LoadFloat32x8((*[8]float32)(lhs[i : i+8]))
			x.Mul(y).Store((*[8]float32)(out[i : i+8]))
		}
		mulScalar(lhs[i:], rhs, out[i:])
		return
	}
	rhs = rhs[:len(lhs)]
	for ; i+8 <= len(lhs); i += 8 {
		x := archsimd.LoadFloat32x8((*[8]float32)(lhs[i : i+8]))
		y := archsimd.LoadFloat32x8((*[8]float32)(rhs[i : i+8]))
		x.Mul(y).Store((*[8]float32)(out[i : i+8]))
	}
	mulScalar(lhs[i:], rhs[i:], out[i:])
}

// max32 is Max on a float32 part, eight values at a time with AVX2 where
// the CPU has it, sixteen with AVX-512.
func max32(lhs, rhs, out []float32) {
	if !archsimd.X86.AVX2() {
		maxScalar(lhs, rhs, out)
		return
	}
	out = out[:len(lhs)]
	i := 0
	if wide {
		i = max16(lhs, rhs, out)
	}
	if len(rhs) == 1 && len(lhs) != 1 {
		y := archsimd.BroadcastFloat32x8(rhs[0])
		for ; i+8 <= len(lhs); i += 8 {
			x := archsimd.LoadFloat32x8((*[8]float32)(lhs[i : i+8]))
			max8(x, y).Store((*[8]float32)(out[i : i+8]))
		}
		maxScalar(lhs[i:], rhs, out[i:])
		return
	}
	rhs = rhs[:len(lhs)]
	for ; i+8 <= len(lhs); i += 8 {
		x := archsimd.LoadFloat32x8((*[8]float32)(lhs[i : i+8]))
		y := archsimd.LoadFloat32x8((*[8]float32)(rhs[i : i+8]))
		max8(x, y).Store((*[8]float32)(out[i : i+8]))
	}
	maxScalar(lhs[i:], rhs[i:], out[i:])
}

// mulSign32 is MulSign on a float32 part, eight values at a time with AVX2
// where the CPU has it, sixteen with AVX-512: the sign vector is built as
// sign32 builds it.
func mulSign32(v, y, out []float32) {
	if !archsimd.X86.AVX2() {
		mulSignScalar32(v, y, out)
		return
	}
	out = out[:len(v)]
	y = y[:len(v)]
	zero := archsimd.BroadcastFloat32x8(0)
	one := archsimd.BroadcastFloat32x8(1)
	minusOne := archsimd.BroadcastFloat32x8(-1)
	i := 0
	if wide {
		i = mulSign16(v, y, out)
	}
	for ; i+8 <= len(v); i += 8 {
		x := archsimd.LoadFloat32x8((*[8]float32)(v[i : i+8]))
		s := archsimd.LoadFloat32x8((*[8]float32)(y[i : i+8]))
		sg := one.Masked(s.Greater(zero)).Add(minusOne.Masked(s.Less(zero)))
		x.Mul(sg).Store((*[8]float32)(out[i : i+8]))
	}
	mulSignScalar32(v[i:], y[i:], out[i:])
}

// max8 is Go's max on eight pairs. VMAXPS answers one of its operands for
// NaNs and for zeros of either sign, so equal pairs take x AND y (+0 for
// -0, +0; the value itself otherwise) and pairs with a NaN take x + y (a
// NaN).
func max8(x, y archsimd.Float32x8) archsimd.Float32x8 {
	both := x.AsInt32x8().And(y.AsInt32x8()).AsFloat32x8()
	m := both.Merge(x.Max(y), x.Equal(y))
	return x.Add(y).Merge(m, x.IsNaN().Or(y.IsNaN()))
}

// mul16, max16 and mulSign16 are the AVX-512 loops of mul32, max32 and
// mulSign32 (same operands, rhs of length 1 broadcast): they do the first
// len/16*16 values and return how many.

func mul16(lhs, rhs, out []float32) int {
	n := len(lhs) &^ 15
	if len(rhs) == 1 && len(lhs) != 1 {
		y := archsimd.BroadcastFloat32x16(rhs[0])
		for i := 0; i < n; i += 16 {
			archsimd.LoadFloat32x16((*[16]float32)(lhs[i : i+16])).Mul(y).Store((*[16]float32)(out[i : i+16]))
		}
		return n
	}
	rhs = rhs[:len(lhs)]
	for i := 0; i < n; i += 16 {
		x := archsimd.LoadFloat32x16((*[16]float32)(lhs[i : i+16]))
		x.Mul(archsimd.LoadFloat32x16((*[16]float32)(rhs[i : i+16]))).Store((*[16]float32)(out[i : i+16]))
	}
	return n
}

func max16(lhs, rhs, out []float32) int {
	n := len(lhs) &^ 15
	if len(rhs) == 1 && len(lhs) != 1 {
		y := archsimd.BroadcastFloat32x16(rhs[0])
		for i := 0; i < n; i += 16 {
			maxWide(archsimd.LoadFloat32x16((*[16]float32)(lhs[i:i+16])), y).Store((*[16]float32)(out[i : i+16]))
		}
		return n
	}
	rhs = rhs[:len(lhs)]
	for i := 0; i < n; i += 16 {
		x := archsimd.LoadFloat32x16((*[16]float32)(lhs[i : i+16]))
		y := archsimd.LoadFloat32x16((*[16]float32)(rhs[i : i+16]))
		maxWide(x, y).Store((*[16]float32)(out[i : i+16]))
	}
	return n
}

func mulSign16(v, y, out []float32) int {
	n := len(v) &^ 15
	zero := archsimd.BroadcastFloat32x16(0)
	one := archsimd.BroadcastFloat32x16(1)
	minusOne := archsimd.BroadcastFloat32x16(-1)
	for i := 0; i < n; i += 16 {
		x := archsimd.LoadFloat32x16((*[16]float32)(v[i : i+16]))
		s := archsimd.LoadFloat32x16((*[16]float32)(y[i : i+16]))
		sg := one.Masked(s.Greater(zero)).Add(minusOne.Masked(s.Less(zero)))
		x.Mul(sg).Store((*[16]float32)(out[i : i+16]))
	}
	return n
}

// maxWide is max8 on sixteen pairs.
func maxWide(x, y archsimd.Float32x16) archsimd.Float32x16 {
	both := x.AsInt32x16().And(y.AsInt32x16()).AsFloat32x16()
	m := both.Merge(x.Max(y), x.Equal(y))
	return x.Add(y).Merge(m, x.IsNaN().Or(y.IsNaN()))
}
