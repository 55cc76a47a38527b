//go:build goexperiment.simd && amd64

package fast

import "simd/archsimd"

// sumRows adds the rows of x, each of len(out) values, into out, each
// output element summing its column in row order. For float32 on AVX2,
// blocks of 32 and then 8 columns are summed in vector registers over a
// tile of rows at a time; every lane adds its column in the same order
// as sumRowsScalar, so the results are the same bits.
func sumRows[T Float](out, x []T) {
	o, ok := any(out).([]float32)
	if !ok || !archsimd.X86.AVX2() {
		sumRowsScalar(out, x)
		return
	}
	sumRows32(o, any(x).([]float32))
}

func sumRows32(out, x []float32) {
	k := len(out)
	if k < 8 {
		sumRowsScalar(out, x)
		return
	}
	rows := len(x) / k
	tile := max(1, tileElems/k)
	for r0 := 0; r0 < rows; r0 += tile {
		r1 := min(r0+tile, rows)
		c := 0
		for ; c+32 <= k; c += 32 {
			o := out[c : c+32 : c+32]
			s0 := archsimd.LoadFloat32x8((*[8]float32)(o[0:8]))
			s1 := archsimd.LoadFloat32x8((*[8]float32)(o[8:16]))
			s2 := archsimd.LoadFloat32x8((*[8]float32)(o[16:24]))
			s3 := archsimd.LoadFloat32x8((*[8]float32)(o[24:32]))
			for r := r0; r < r1; r++ {
				v := x[r*k+c : r*k+c+32 : r*k+c+32]
				s0 = s0.Add(archsimd.LoadFloat32x8((*[8]float32)(v[0:8])))
				s1 = s1.Add(archsimd.LoadFloat32x8((*[8]float32)(v[8:16])))
				s2 = s2.Add(archsimd.LoadFloat32x8((*[8]float32)(v[16:24])))
				s3 = s3.Add(archsimd.LoadFloat32x8((*[8]float32)(v[24:32])))
			}
			s0.Store((*[8]float32)(o[0:8]))
			s1.Store((*[8]float32)(o[8:16]))
			s2.Store((*[8]float32)(o[16:24]))
			s3.Store((*[8]float32)(o[24:32]))
		}
		for ; c+8 <= k; c += 8 {
			o := (*[8]float32)(out[c : c+8])
			s := archsimd.LoadFloat32x8(o)
			for r := r0; r < r1; r++ {
				s = s.Add(archsimd.LoadFloat32x8((*[8]float32)(x[r*k+c : r*k+c+8])))
			}
			s.Store(o)
		}
		for ; c < k; c++ {
			s := out[c]
			for r := r0; r < r1; r++ {
				s += x[r*k+c]
			}
			out[c] = s
		}
	}
}
