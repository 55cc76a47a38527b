//go:build goexperiment.simd && amd64

package fast

import "simd/archsimd"

// mul32 and max32 are Mul and Max on a float32 part, eight values at a
// time with AVX2 where the CPU has it.
func mul32(lhs, rhs, out []float32) { lanes32(false, lhs, rhs, out) }
func max32(lhs, rhs, out []float32) { lanes32(true, lhs, rhs, out) }

// lanes32 runs Max (isMax) or Mul on lhs and rhs (len(lhs) values, or one
// used for all) into out, eight values at a time, the rest in plain Go.
// The op's branch is the same for every vector, so it predicts.
func lanes32(isMax bool, lhs, rhs, out []float32) {
	tail := mulScalar[float32]
	if isMax {
		tail = maxScalar[float32]
	}
	if !archsimd.X86.AVX2() {
		tail(lhs, rhs, out)
		return
	}
	out = out[:len(lhs)]
	scalar := len(rhs) == 1 && len(lhs) != 1
	if !scalar {
		rhs = rhs[:len(lhs)]
	}
	var y archsimd.Float32x8
	if scalar {
		y = archsimd.BroadcastFloat32x8(rhs[0])
	}
	i := 0
	for ; i+8 <= len(lhs); i += 8 {
		x := archsimd.LoadFloat32x8((*[8]float32)(lhs[i : i+8]))
		if !scalar {
			y = archsimd.LoadFloat32x8((*[8]float32)(rhs[i : i+8]))
		}
		r := x.Mul(y)
		if isMax {
			r = max8(x, y)
		}
		r.Store((*[8]float32)(out[i : i+8]))
	}
	if !scalar {
		rhs = rhs[i:]
	}
	tail(lhs[i:], rhs, out[i:])
}

// mulSign32 is MulSign on a float32 part, eight values at a time with AVX2
// where the CPU has it: the sign vector is built as sign32 builds it.
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
