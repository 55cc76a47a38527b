#include "textflag.h"

// func microAsm(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc *[64]float32)
//
// acc[r*16+c] = sum over kk < kc of A(r, kk) * b[kk*16+c] for r < 4,
// c < 16, where A(r, kk) is the float32 at a + r*rs + kk*ks (bytes). kc
// must be at least 1. AVX2 and FMA: eight accumulators (Y0-Y7), the two
// B vectors of a step in Y8 and Y9, each A value broadcast straight from
// memory.

// STEP(boff) runs one step kk: loads B's two vectors at DI+boff, broadcasts
// the four A values at offset AX of the row pointers, accumulates the
// eight products and moves AX to the next step.
#define STEP(boff) \
	VMOVUPS      boff(DI), Y8; \
	VMOVUPS      boff+32(DI), Y9; \
	VBROADCASTSS (SI)(AX*1), Y10; \
	VBROADCASTSS (BX)(AX*1), Y11; \
	VBROADCASTSS (DX)(AX*1), Y12; \
	VBROADCASTSS (R9)(AX*1), Y13; \
	VFMADD231PS  Y8, Y10, Y0; \
	VFMADD231PS  Y9, Y10, Y1; \
	VFMADD231PS  Y8, Y11, Y2; \
	VFMADD231PS  Y9, Y11, Y3; \
	VFMADD231PS  Y8, Y12, Y4; \
	VFMADD231PS  Y9, Y12, Y5; \
	VFMADD231PS  Y8, Y13, Y6; \
	VFMADD231PS  Y9, Y13, Y7; \
	ADDQ         R11, AX

TEXT ·microAsm(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R10
	MOVQ ks+24(FP), R11
	MOVQ b+32(FP), DI
	MOVQ acc+40(FP), R8
	LEAQ (SI)(R10*1), BX // row 1
	LEAQ (BX)(R10*1), DX // row 2
	LEAQ (DX)(R10*1), R9 // row 3
	XORQ AX, AX          // offset of step kk in the rows
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	CMPQ CX, $4
	JLT  tail

loop4:
	STEP(0)
	STEP(64)
	STEP(128)
	STEP(192)
	ADDQ         $256, DI
	SUBQ         $4, CX
	CMPQ         CX, $4
	JGE          loop4

tail:
	TESTQ CX, CX
	JEQ   done

loop1:
	STEP(0)
	ADDQ         $64, DI
	DECQ         CX
	JNE          loop1

done:
	VMOVUPS Y0, 0(R8)
	VMOVUPS Y1, 32(R8)
	VMOVUPS Y2, 64(R8)
	VMOVUPS Y3, 96(R8)
	VMOVUPS Y4, 128(R8)
	VMOVUPS Y5, 160(R8)
	VMOVUPS Y6, 192(R8)
	VMOVUPS Y7, 224(R8)
	VZEROUPPER
	RET
