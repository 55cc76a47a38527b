package conv

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// asmOK reports whether the CPU runs the assembly micro kernel.
var asmOK = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// microAsm is the float32 micro kernel in assembly (micro_amd64.s): acc
// gets the mr x nr tile A·B over kc >= 1 steps, A(r, kk) being the
// float32 at a + r*rs + kk*ks bytes and B the panel b ([kc][nr]). It
// needs AVX2 and FMA. Go's SIMD intrinsics have only the FMA form that
// overwrites a multiplicand, which costs a register copy or a reload per
// product; the assembly accumulates in place and broadcasts A from
// memory.
//
//go:noescape
func microAsm(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc *[mr * nr]float32)

// microStrided32 computes acc = A·B for the mr x kc matrix A(r, kk) =
// a[r*rs+kk*ks] and the packed panel b ([kc][nr]) with microAsm, after
// checking that every element it reads is inside a and b. The caller
// checks asmOK.
func microStrided32(kc int, a []float32, rs, ks int, b []float32, acc *[mr * nr]float32) {
	if kc <= 0 {
		*acc = [mr * nr]float32{}
		return
	}
	if rs < 0 || ks < 0 || (mr-1)*rs+(kc-1)*ks >= len(a) || kc*nr > len(b) {
		panic(fmt.Sprintf("conv: micro kernel reads past its operands: kc %d, strides %d/%d, %d A and %d B values", kc, rs, ks, len(a), len(b)))
	}
	microAsm(kc, unsafe.Pointer(unsafe.SliceData(a)), uintptr(rs)*4, uintptr(ks)*4, unsafe.Pointer(unsafe.SliceData(b)), acc)
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
