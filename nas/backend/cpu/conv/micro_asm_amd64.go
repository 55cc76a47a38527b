package conv

import (
	"fmt"
	"unsafe"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/isa"
)

// asmOK reports whether the CPU runs the assembly micro kernels (AVX2 and
// FMA); asm512 whether it runs the AVX-512 one (see package isa).
var asmOK, asm512 = isa.AVX2, isa.AVX512

// microAsm is the float32 micro kernel in assembly (micro_amd64.s): acc
// gets the mr x nr tile A·B over kc >= 1 steps, A(r, kk) being the
// float32 at a + r*rs + kk*ks bytes and B the panel b ([kc][nr]). It
// needs AVX2 and FMA. Go's SIMD intrinsics have only the FMA form that
// overwrites a multiplicand, which costs a register copy or a reload per
// product; the assembly accumulates in place and broadcasts A from
// memory.
//
//go:noescape
func microAsm(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc *[4 * nr]float32)

// microAsm512 is microAsm for 8 rows with AVX-512F (micro_amd64.s).
//
//go:noescape
func microAsm512(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc *[8 * nr]float32)

// microStrided32 computes acc = A·B for the mr x kc matrix A(r, kk) =
// a[r*rs+kk*ks] and the packed panel b ([kc][nr]) with microAsm, after
// checking that every element it reads is inside a and b: one AVX-512
// call, or two AVX2 calls of 4 rows each. The caller checks asmOK.
func microStrided32(kc int, a []float32, rs, ks int, b []float32, acc *[mr * nr]float32) {
	if kc <= 0 {
		*acc = [mr * nr]float32{}
		return
	}
	if rs < 0 || ks < 0 || (mr-1)*rs+(kc-1)*ks >= len(a) || kc*nr > len(b) {
		panic(fmt.Sprintf("conv: micro kernel reads past its operands: kc %d, strides %d/%d, %d A and %d B values", kc, rs, ks, len(a), len(b)))
	}
	pa, pb := unsafe.Pointer(unsafe.SliceData(a)), unsafe.Pointer(unsafe.SliceData(b))
	if asm512 {
		microAsm512(kc, pa, uintptr(rs)*4, uintptr(ks)*4, pb, acc)
		return
	}
	microAsm(kc, pa, uintptr(rs)*4, uintptr(ks)*4, pb, (*[4 * nr]float32)(acc[:4*nr]))
	microAsm(kc, unsafe.Add(pa, 4*rs*4), uintptr(rs)*4, uintptr(ks)*4, pb, (*[4 * nr]float32)(acc[4*nr:]))
}

// colsOK reports whether microCols runs for T (and micro uses the
// assembly kernel): float32 on a CPU with AVX2 and FMA.
func colsOK[T float32 | float64]() bool {
	var zero T
	_, ok := any(zero).(float32)
	return ok && asmOK
}

// microCols is micro for a panel of A stored by columns: row r, step kk
// is src[kk*ld+r], read in place. Only where colsOK.
func microCols[T float32 | float64](kc int, src []T, ld int, b []T, acc *[mr * nr]T) {
	microStrided32(kc, any(src).([]float32), 1, ld, any(b).([]float32), any(acc).(*[mr * nr]float32))
}
