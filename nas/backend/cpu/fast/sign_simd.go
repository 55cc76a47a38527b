//go:build goexperiment.simd && amd64

package fast

import "simd/archsimd"

// sign32 is Sign for float32, eight values at a time with AVX2 where the CPU
// has it: 1 where x > 0, -1 where x < 0, +0 elsewhere (NaN and zeros).
func sign32(in, out []float32) {
	if !archsimd.X86.AVX2() {
		sign32Scalar(in, out)
		return
	}
	out = out[:len(in)]
	zero := archsimd.BroadcastFloat32x8(0)
	one := archsimd.BroadcastFloat32x8(1)
	minusOne := archsimd.BroadcastFloat32x8(-1)
	i := 0
	for ; i+8 <= len(in); i += 8 {
		x := archsimd.LoadFloat32x8((*[8]float32)(in[i : i+8]))
		r := one.Masked(x.Greater(zero)).Add(minusOne.Masked(x.Less(zero)))
		r.Store((*[8]float32)(out[i : i+8]))
	}
	sign32Scalar(in[i:], out[i:])
}
