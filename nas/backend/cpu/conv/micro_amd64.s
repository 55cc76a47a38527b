#include "textflag.h"

// Shared tile stores. The kernels leave their tile in rows st bytes
// apart from reg (an accumulator array: 64; the output itself: its row
// stride). LDROWS8 and STROWS8 load or store eight rows of one register
// each, LDROWS4X2 and STROWS4X2 four rows of two (reg is moved on).
// With an epilogue (tileEpi: the coefficients of the tile's columns and
// whether a ReLU follows), AFFINE4 computes v*scale + shift, rounding
// each operation as package norm does, and RELU8 Go's max(v, 0):
// VMAXPS with v second gives v where v is NaN and 0 where 0 > v, and
// adding +0 turns the -0 it leaves for v = -0 into +0.
#define LDROWS8(reg, st, z0, z1, z2, z3, z4, z5, z6, z7) \
	VMOVUPS (reg), z0; ADDQ st, reg; VMOVUPS (reg), z1; ADDQ st, reg; \
	VMOVUPS (reg), z2; ADDQ st, reg; VMOVUPS (reg), z3; ADDQ st, reg; \
	VMOVUPS (reg), z4; ADDQ st, reg; VMOVUPS (reg), z5; ADDQ st, reg; \
	VMOVUPS (reg), z6; ADDQ st, reg; VMOVUPS (reg), z7

#define STROWS8(reg, st, z0, z1, z2, z3, z4, z5, z6, z7) \
	VMOVUPS z0, (reg); ADDQ st, reg; VMOVUPS z1, (reg); ADDQ st, reg; \
	VMOVUPS z2, (reg); ADDQ st, reg; VMOVUPS z3, (reg); ADDQ st, reg; \
	VMOVUPS z4, (reg); ADDQ st, reg; VMOVUPS z5, (reg); ADDQ st, reg; \
	VMOVUPS z6, (reg); ADDQ st, reg; VMOVUPS z7, (reg)

#define LDROWS4X2(reg, st) \
	VMOVUPS (reg), Y0; VMOVUPS 32(reg), Y1; ADDQ st, reg; \
	VMOVUPS (reg), Y2; VMOVUPS 32(reg), Y3; ADDQ st, reg; \
	VMOVUPS (reg), Y4; VMOVUPS 32(reg), Y5; ADDQ st, reg; \
	VMOVUPS (reg), Y6; VMOVUPS 32(reg), Y7

#define STROWS4X2(reg, st) \
	VMOVUPS Y0, (reg); VMOVUPS Y1, 32(reg); ADDQ st, reg; \
	VMOVUPS Y2, (reg); VMOVUPS Y3, 32(reg); ADDQ st, reg; \
	VMOVUPS Y4, (reg); VMOVUPS Y5, 32(reg); ADDQ st, reg; \
	VMOVUPS Y6, (reg); VMOVUPS Y7, 32(reg)

#define AFFINE4(sc, sh, z0, z1, z2, z3) \
	VMULPS sc, z0, z0; VADDPS sh, z0, z0; VMULPS sc, z1, z1; VADDPS sh, z1, z1; \
	VMULPS sc, z2, z2; VADDPS sh, z2, z2; VMULPS sc, z3, z3; VADDPS sh, z3, z3

#define RELU8(zero, z0, z1, z2, z3, z4, z5, z6, z7) \
	VMAXPS z0, zero, z0; VADDPS zero, z0, z0; VMAXPS z1, zero, z1; VADDPS zero, z1, z1; \
	VMAXPS z2, zero, z2; VADDPS zero, z2, z2; VMAXPS z3, zero, z3; VADDPS zero, z3, z3; \
	VMAXPS z4, zero, z4; VADDPS zero, z4, z4; VMAXPS z5, zero, z5; VADDPS zero, z5, z5; \
	VMAXPS z6, zero, z6; VADDPS zero, z6, z6; VMAXPS z7, zero, z7; VADDPS zero, z7, z7

// EPIONE applies the epilogue at R11 (a tileEpi) to one panel's tile in
// a0-a7 (zmm, or ymm for 8 columns), its coefficients loaded into sc and
// sh; without the ReLU it jumps to plain.
#define EPIONE(sc, sh, zero, a0, a1, a2, a3, a4, a5, a6, a7, plain) \
	MOVQ    0(R11), R12; \
	MOVQ    8(R11), R13; \
	VMOVUPS (R12), sc; \
	VMOVUPS (R13), sh; \
	AFFINE4(sc, sh, a0, a1, a2, a3); \
	AFFINE4(sc, sh, a4, a5, a6, a7); \
	MOVBQZX 16(R11), R12; \
	TESTQ   R12, R12; \
	JEQ     plain; \
	VXORPS  zero, zero, zero; \
	RELU8(zero, a0, a1, a2, a3, a4, a5, a6, a7)

// func microAsm(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)
//
// acc[r*16+c] = sum over s < nseg, kk < kc of A(r, s, kk) *
// b[(s*kc+kk)*16+c] for r < 4, c < 16, where A(r, s, kk) is the float32
// at a + r*rs + s*segs + kk*ks (bytes), summed in the order of s, then kk;
// with load the sums start from acc's values instead of zero, so that a
// sum split into several calls has the bits of one call. kc and nseg must
// be at least 1. Row r of acc is as bytes from its row 0 (64 for an
// array of rows); with epi the tile gets its epilogue as it is stored.
// AVX2 and FMA: eight accumulators (Y0-Y7), the two B vectors of a step
// in Y8 and Y9, each A value broadcast straight from memory.

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

TEXT ·microAsm(SB), NOSPLIT, $0-88
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
	MOVBQZX load+48(FP), R13
	TESTQ R13, R13
	JNE  loadacc
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	JMP  start

loadacc:
	MOVQ      as+72(FP), R13
	LDROWS4X2(R8, R13)

start:
	MOVQ nseg+56(FP), R13

seg:
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
	// The next segment: its rows start segs bytes further on.
	DECQ R13
	JEQ  stored
	MOVQ kc+0(FP), CX
	XORQ AX, AX
	ADDQ segs+64(FP), SI
	LEAQ (SI)(R10*1), BX
	LEAQ (BX)(R10*1), DX
	LEAQ (DX)(R10*1), R9
	JMP  seg

stored:
	MOVQ  epi+80(FP), R11
	TESTQ R11, R11
	JEQ   plain
	MOVQ  0(R11), R12
	MOVQ  8(R11), R13
	VMOVUPS (R12), Y8
	VMOVUPS 32(R12), Y9
	VMOVUPS (R13), Y10
	VMOVUPS 32(R13), Y11
	AFFINE4(Y8, Y10, Y0, Y2, Y4, Y6)
	AFFINE4(Y9, Y11, Y1, Y3, Y5, Y7)
	MOVBQZX 16(R11), R12
	TESTQ R12, R12
	JEQ   plain
	VXORPS Y12, Y12, Y12
	RELU8(Y12, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)

plain:
	MOVQ acc+40(FP), R8
	MOVQ as+72(FP), R10
	STROWS4X2(R8, R10)
	VZEROUPPER
	RET

// Shared by the AVX-512 kernels. ROWS512 sets the row pointers BX, DX
// and R9 (rows 1-3, from row 0 at SI and the row stride R10) and R12, the
// offset of rows 4-7 from rows 0-3; ZERO8 clears eight accumulators.
#define ROWS512 \
	LEAQ (SI)(R10*1), BX; \
	LEAQ (BX)(R10*1), DX; \
	LEAQ (DX)(R10*1), R9; \
	LEAQ (R10*4), R12

#define ZERO8(z0, z1, z2, z3, z4, z5, z6, z7) \
	VPXORD z0, z0, z0; VPXORD z1, z1, z1; VPXORD z2, z2, z2; VPXORD z3, z3, z3; \
	VPXORD z4, z4, z4; VPXORD z5, z5, z5; VPXORD z6, z6, z6; VPXORD z7, z7, z7

// func microAsm512(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)
//
// acc[r*16+c] = sum over kk < kc of A(r, kk) * b[kk*16+c] for r < 8,
// c < 16, A, load, as and epi as for microAsm. AVX-512F: eight 16-lane accumulators (Z0-Z7),
// one B vector a step (Z8), each A value broadcast from memory inside its
// multiply-add. Rows 4-7 are rows 0-3 at offset R12 = AX + 4*rs.

#define STEP512(boff) \
	VMOVUPS          boff(DI), Z8; \
	VFMADD231PS.BCST (SI)(AX*1), Z8, Z0; \
	VFMADD231PS.BCST (BX)(AX*1), Z8, Z1; \
	VFMADD231PS.BCST (DX)(AX*1), Z8, Z2; \
	VFMADD231PS.BCST (R9)(AX*1), Z8, Z3; \
	VFMADD231PS.BCST (SI)(R12*1), Z8, Z4; \
	VFMADD231PS.BCST (BX)(R12*1), Z8, Z5; \
	VFMADD231PS.BCST (DX)(R12*1), Z8, Z6; \
	VFMADD231PS.BCST (R9)(R12*1), Z8, Z7; \
	ADDQ             R11, AX; \
	ADDQ             R11, R12

TEXT ·microAsm512(SB), NOSPLIT, $0-88
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R10
	MOVQ ks+24(FP), R11
	MOVQ b+32(FP), DI
	MOVQ acc+40(FP), R8
	ROWS512
	XORQ AX, AX // offset of step kk in rows 0-3
	MOVBQZX load+48(FP), R13
	TESTQ R13, R13
	JNE  loadacc512
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	JMP  start512

loadacc512:
	MOVQ as+72(FP), R13
	LDROWS8(R8, R13, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

start512:
	MOVQ nseg+56(FP), R13

seg512:
	CMPQ CX, $4
	JLT  tail512

loop512:
	STEP512(0)
	STEP512(64)
	STEP512(128)
	STEP512(192)
	ADDQ $256, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop512

tail512:
	TESTQ CX, CX
	JEQ   done512

loop512one:
	STEP512(0)
	ADDQ $64, DI
	DECQ CX
	JNE  loop512one

done512:
	DECQ R13
	JEQ  stored512
	MOVQ kc+0(FP), CX
	XORQ AX, AX
	ADDQ segs+64(FP), SI
	ROWS512
	JMP  seg512

stored512:
	MOVQ  epi+80(FP), R11
	TESTQ R11, R11
	JEQ   plain512
	EPIONE(Z8, Z9, Z10, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, plain512)

plain512:
	MOVQ acc+40(FP), R8
	MOVQ as+72(FP), R10
	STROWS8(R8, R10, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	VZEROUPPER
	RET

// EPIPAIR applies the epilogue at R11 (a tileEpi) to the two panels'
// tiles: the first in Z0-Z7, the second in b0-b7 with its coefficients
// loaded into sc and sh (zmm for a whole panel, ymm for a half one) and
// zero the register of b0-b7's width that Z12 is part of; without the
// ReLU it jumps to plain.
#define EPIPAIR(sc, sh, zero, b0, b1, b2, b3, b4, b5, b6, b7, plain) \
	MOVQ    0(R11), R12; \
	MOVQ    8(R11), R13; \
	VMOVUPS (R12), Z8; \
	VMOVUPS 64(R12), sc; \
	VMOVUPS (R13), Z10; \
	VMOVUPS 64(R13), sh; \
	AFFINE4(Z8, Z10, Z0, Z1, Z2, Z3); \
	AFFINE4(Z8, Z10, Z4, Z5, Z6, Z7); \
	AFFINE4(sc, sh, b0, b1, b2, b3); \
	AFFINE4(sc, sh, b4, b5, b6, b7); \
	MOVBQZX 16(R11), R12; \
	TESTQ   R12, R12; \
	JEQ     plain; \
	VPXORD  Z12, Z12, Z12; \
	RELU8(Z12, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7); \
	RELU8(zero, b0, b1, b2, b3, b4, b5, b6, b7)

// func microAsm512x2(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, bs uintptr, acc0, acc1 unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)
//
// microAsm512 for two panels of B at once: acc0 gets A times the panel at
// b, acc1 A times the panel at b+bs (bytes), each sum in the order of
// microAsm512, so each tile has the bits of its own call. Sixteen
// accumulators (Z0-Z7 for acc0, Z16-Z23 for acc1) hide the multiply-add
// latency that eight only just cover, and each A value is broadcast once
// (Z24) for both panels' products.

#define ROW512X2(src, off, z0, z1) \
	VBROADCASTSS (src)(off*1), Z24; \
	VFMADD231PS  Z8, Z24, z0; \
	VFMADD231PS  Z9, Z24, z1

#define STEP512X2(boff) \
	VMOVUPS boff(DI), Z8; \
	VMOVUPS boff(DI)(R13*1), Z9; \
	ROW512X2(SI, AX, Z0, Z16); \
	ROW512X2(BX, AX, Z1, Z17); \
	ROW512X2(DX, AX, Z2, Z18); \
	ROW512X2(R9, AX, Z3, Z19); \
	ROW512X2(SI, R12, Z4, Z20); \
	ROW512X2(BX, R12, Z5, Z21); \
	ROW512X2(DX, R12, Z6, Z22); \
	ROW512X2(R9, R12, Z7, Z23); \
	ADDQ R11, AX; \
	ADDQ R11, R12

TEXT ·microAsm512x2(SB), NOSPLIT, $0-104
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R10
	MOVQ ks+24(FP), R11
	MOVQ b+32(FP), DI
	MOVQ bs+40(FP), R13
	MOVQ acc0+48(FP), R8
	ROWS512
	MOVBQZX load+64(FP), AX
	TESTQ AX, AX
	JNE  loadaccx2
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ZERO8(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	JMP  startx2

loadaccx2:
	MOVQ as+88(FP), AX
	LDROWS8(R8, AX, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	MOVQ acc1+56(FP), R8
	LDROWS8(R8, AX, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)

startx2:
	MOVQ nseg+72(FP), R8

segx2:
	XORQ AX, AX // offset of step kk in rows 0-3
	CMPQ CX, $4
	JLT  tailx2

loopx2:
	STEP512X2(0)
	STEP512X2(64)
	STEP512X2(128)
	STEP512X2(192)
	ADDQ $256, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loopx2

tailx2:
	TESTQ CX, CX
	JEQ   donex2

loopx2one:
	STEP512X2(0)
	ADDQ $64, DI
	DECQ CX
	JNE  loopx2one

donex2:
	DECQ R8
	JEQ  storedx2
	MOVQ kc+0(FP), CX
	ADDQ segs+80(FP), SI
	ROWS512
	JMP  segx2

storedx2:
	MOVQ  epi+96(FP), R11
	TESTQ R11, R11
	JEQ   plainx2
	EPIPAIR(Z9, Z11, Z12, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, plainx2)

plainx2:
	MOVQ as+88(FP), R10
	MOVQ acc0+48(FP), R8
	STROWS8(R8, R10, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	MOVQ acc1+56(FP), R8
	STROWS8(R8, R10, Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	VZEROUPPER
	RET

// func microAsm512x2h(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, bs uintptr, acc0, acc1 unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)
//
// microAsm512x2 for a second panel with only its first 8 columns in use
// (the last panel of 56 output channels, say): acc1's columns 0-7 get the
// same sums in the same order, in the low halves Y16-Y23, at half the
// cost of 16 columns; its columns 8-15 are neither read nor written.

#define ROW512X2H(src, off, z0, y1) \
	VBROADCASTSS (src)(off*1), Z24; \
	VFMADD231PS  Z8, Z24, z0; \
	VFMADD231PS  Y9, Y24, y1

#define STEP512X2H(boff) \
	VMOVUPS boff(DI), Z8; \
	VMOVUPS boff(DI)(R13*1), Y9; \
	ROW512X2H(SI, AX, Z0, Y16); \
	ROW512X2H(BX, AX, Z1, Y17); \
	ROW512X2H(DX, AX, Z2, Y18); \
	ROW512X2H(R9, AX, Z3, Y19); \
	ROW512X2H(SI, R12, Z4, Y20); \
	ROW512X2H(BX, R12, Z5, Y21); \
	ROW512X2H(DX, R12, Z6, Y22); \
	ROW512X2H(R9, R12, Z7, Y23); \
	ADDQ R11, AX; \
	ADDQ R11, R12

TEXT ·microAsm512x2h(SB), NOSPLIT, $0-104
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R10
	MOVQ ks+24(FP), R11
	MOVQ b+32(FP), DI
	MOVQ bs+40(FP), R13
	MOVQ acc0+48(FP), R8
	ROWS512
	MOVBQZX load+64(FP), AX
	TESTQ AX, AX
	JNE  loadaccx2h
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	ZERO8(Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23)
	JMP  startx2h

loadaccx2h:
	MOVQ as+88(FP), AX
	LDROWS8(R8, AX, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	MOVQ acc1+56(FP), R8
	LDROWS8(R8, AX, Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23)

startx2h:
	MOVQ nseg+72(FP), R8

segx2h:
	XORQ AX, AX // offset of step kk in rows 0-3
	CMPQ CX, $4
	JLT  tailx2h

loopx2h:
	STEP512X2H(0)
	STEP512X2H(64)
	STEP512X2H(128)
	STEP512X2H(192)
	ADDQ $256, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loopx2h

tailx2h:
	TESTQ CX, CX
	JEQ   donex2h

loopx2hone:
	STEP512X2H(0)
	ADDQ $64, DI
	DECQ CX
	JNE  loopx2hone

donex2h:
	DECQ R8
	JEQ  storedx2h
	MOVQ kc+0(FP), CX
	ADDQ segs+80(FP), SI
	ROWS512
	JMP  segx2h

storedx2h:
	MOVQ  epi+96(FP), R11
	TESTQ R11, R11
	JEQ   plainx2h
	EPIPAIR(Y9, Y11, Y12, Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23, plainx2h)

plainx2h:
	MOVQ as+88(FP), R10
	MOVQ acc0+48(FP), R8
	STROWS8(R8, R10, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	MOVQ acc1+56(FP), R8
	STROWS8(R8, R10, Y16, Y17, Y18, Y19, Y20, Y21, Y22, Y23)
	VZEROUPPER
	RET

// func microAsm8(kc int, a unsafe.Pointer, rs, ks uintptr, b unsafe.Pointer, acc unsafe.Pointer, load bool, nseg int, segs, as uintptr, epi *tileEpi)
//
// The first 8 columns of microAsm512's tile with AVX2 and FMA: eight
// accumulators (Y0-Y7, one per row), one B vector a step (Y8, the low
// half of the panel's row), each A value broadcast into its own register;
// the same sums in the same order. acc's columns 8-15 are neither read
// nor written. For a last panel with 8 or fewer columns in use.

#define ROW8(src, off, y, acc) \
	VBROADCASTSS (src)(off*1), y; \
	VFMADD231PS  Y8, y, acc

#define STEP8(boff) \
	VMOVUPS boff(DI), Y8; \
	ROW8(SI, AX, Y9, Y0); \
	ROW8(BX, AX, Y10, Y1); \
	ROW8(DX, AX, Y11, Y2); \
	ROW8(R9, AX, Y12, Y3); \
	ROW8(SI, R12, Y13, Y4); \
	ROW8(BX, R12, Y14, Y5); \
	ROW8(DX, R12, Y15, Y6); \
	ROW8(R9, R12, Y9, Y7); \
	ADDQ R11, AX; \
	ADDQ R11, R12

TEXT ·microAsm8(SB), NOSPLIT, $0-88
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ rs+16(FP), R10
	MOVQ ks+24(FP), R11
	MOVQ b+32(FP), DI
	MOVQ acc+40(FP), R8
	ROWS512
	XORQ AX, AX
	MOVBQZX load+48(FP), R13
	TESTQ R13, R13
	JNE  loadacc8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	JMP  start8

loadacc8:
	MOVQ as+72(FP), R13
	LDROWS8(R8, R13, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)

start8:
	MOVQ nseg+56(FP), R13

seg8:
	CMPQ CX, $4
	JLT  tail8

loop8:
	STEP8(0)
	STEP8(64)
	STEP8(128)
	STEP8(192)
	ADDQ $256, DI
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop8

tail8:
	TESTQ CX, CX
	JEQ   done8

loop8one:
	STEP8(0)
	ADDQ $64, DI
	DECQ CX
	JNE  loop8one

done8:
	DECQ R13
	JEQ  stored8
	MOVQ kc+0(FP), CX
	XORQ AX, AX
	ADDQ segs+64(FP), SI
	ROWS512
	JMP  seg8

stored8:
	MOVQ  epi+80(FP), R11
	TESTQ R11, R11
	JEQ   plain8
	EPIONE(Y8, Y9, Y10, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, plain8)

plain8:
	MOVQ acc+40(FP), R8
	MOVQ as+72(FP), R10
	STROWS8(R8, R10, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VZEROUPPER
	RET

// func dwTaps512(x unsafe.Pointer, colStep uintptr, xo, ko *int, ntaps int, k, acc unsafe.Pointer, accStep uintptr)
//
// Eight depthwise outputs of 16 channels: output o, channel c (acc at
// o*accStep bytes, float32 c) is the sum over t < ntaps, in order, from
// zero, of x[xo[t]+c] * k[ko[t]+c] with x starting o*colStep bytes further
// for output o (xo and ko in float32 elements). AVX-512F: eight
// accumulators (Z0-Z7), each tap's kernel vector loaded once (Z16) for the
// eight multiply-adds, which read x straight from memory. ntaps >= 1.
// dwTaps256 is the same for 8 channels with AVX2 and FMA (Y0-Y7, Y8).

// DWTAP(kv, a0, ..., a7) adds one tap (SI at xo[t], R8 at ko[t]) into
// the eight outputs: x at DI, CX = colStep, R11 = 3*colStep, R12 =
// 4*colStep, the kernel at R10.
#define DWTAP(kv, a0, a1, a2, a3, a4, a5, a6, a7) \
	MOVQ        (SI), AX; \
	MOVQ        (R8), BX; \
	VMOVUPS     (R10)(BX*4), kv; \
	LEAQ        (DI)(AX*4), DX; \
	LEAQ        (DX)(R12*1), R13; \
	VFMADD231PS (DX), kv, a0; \
	VFMADD231PS (DX)(CX*1), kv, a1; \
	VFMADD231PS (DX)(CX*2), kv, a2; \
	VFMADD231PS (DX)(R11*1), kv, a3; \
	VFMADD231PS (R13), kv, a4; \
	VFMADD231PS (R13)(CX*1), kv, a5; \
	VFMADD231PS (R13)(CX*2), kv, a6; \
	VFMADD231PS (R13)(R11*1), kv, a7; \
	ADDQ        $8, SI; \
	ADDQ        $8, R8

// STORE8S(a0, ..., a7) stores eight vectors CX bytes apart from DI.
#define STORE8S(a0, a1, a2, a3, a4, a5, a6, a7) \
	LEAQ    (CX)(CX*2), R11; \
	LEAQ    (DI)(CX*4), R13; \
	VMOVUPS a0, (DI); \
	VMOVUPS a1, (DI)(CX*1); \
	VMOVUPS a2, (DI)(CX*2); \
	VMOVUPS a3, (DI)(R11*1); \
	VMOVUPS a4, (R13); \
	VMOVUPS a5, (R13)(CX*1); \
	VMOVUPS a6, (R13)(CX*2); \
	VMOVUPS a7, (R13)(R11*1)

#define ZERO8Y(y0, y1, y2, y3, y4, y5, y6, y7) \
	VXORPS y0, y0, y0; VXORPS y1, y1, y1; VXORPS y2, y2, y2; VXORPS y3, y3, y3; \
	VXORPS y4, y4, y4; VXORPS y5, y5, y5; VXORPS y6, y6, y6; VXORPS y7, y7, y7

TEXT ·dwTaps512(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), DI
	MOVQ colStep+8(FP), CX
	MOVQ xo+16(FP), SI
	MOVQ ko+24(FP), R8
	MOVQ ntaps+32(FP), R9
	MOVQ k+40(FP), R10
	LEAQ (CX)(CX*2), R11
	LEAQ (CX*4), R12
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

dw512loop:
	DWTAP(Z16, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	DECQ R9
	JNE  dw512loop
	MOVQ acc+48(FP), DI
	MOVQ accStep+56(FP), CX
	STORE8S(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	VZEROUPPER
	RET

// func dwTaps256(x unsafe.Pointer, colStep uintptr, xo, ko *int, ntaps int, k, acc unsafe.Pointer, accStep uintptr)
TEXT ·dwTaps256(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), DI
	MOVQ colStep+8(FP), CX
	MOVQ xo+16(FP), SI
	MOVQ ko+24(FP), R8
	MOVQ ntaps+32(FP), R9
	MOVQ k+40(FP), R10
	LEAQ (CX)(CX*2), R11
	LEAQ (CX*4), R12
	ZERO8Y(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)

dw256loop:
	DWTAP(Y8, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	DECQ R9
	JNE  dw256loop
	MOVQ acc+48(FP), DI
	MOVQ accStep+56(FP), CX
	STORE8S(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VZEROUPPER
	RET

// Dense depthwise rows, stride 1: eight outputs of 16 channels
// (AVX-512F) or four of 8 (AVX2), each output's sum over the kernel rows
// and, within a row, its columns, in order, from zero: the sums of
// dwTaps512 with the taps in row-major order. A kernel row's input
// columns are loaded once into registers and serve every output that
// reads them (output o, kernel column j reads input column o+j); each
// kernel vector is loaded once for all outputs.
//
// func dwDense512K7(x unsafe.Pointer, cs, rs uintptr, rows int, k unsafe.Pointer, kcs uintptr, acc unsafe.Pointer, as uintptr)
//
// x: output 0's input at kernel row 0, column 0; cs: bytes between input
// columns (and outputs); rs: between input rows; rows: kernel rows (>= 1);
// k: the kernel at row 0, column 0, kcs bytes between kernel columns
// (rows are kw*kcs apart); acc: output 0, as bytes between outputs.

#define FMA8(kv, x0, x1, x2, x3, x4, x5, x6, x7) \
	VFMADD231PS x0, kv, Z0; VFMADD231PS x1, kv, Z1; VFMADD231PS x2, kv, Z2; VFMADD231PS x3, kv, Z3; \
	VFMADD231PS x4, kv, Z4; VFMADD231PS x5, kv, Z5; VFMADD231PS x6, kv, Z6; VFMADD231PS x7, kv, Z7

// LOAD4(base, a, b, c, d) loads input columns 0-3 from base (CX = cs,
// R11 = 3*cs).
#define LOAD4(base, a, b, c, d) \
	VMOVUPS (base), a; VMOVUPS (base)(CX*1), b; VMOVUPS (base)(CX*2), c; VMOVUPS (base)(R11*1), d

// DENSE512_COLS5 adds kernel columns 0-4 of a row (SI, R9 = kcs, R10 =
// 3*kcs) into the eight outputs, from the input columns in Z8 on; BX is
// left at column 4.
#define DENSE512_COLS5 \
	LEAQ    (SI)(R9*4), BX; \
	VMOVUPS (SI), Z31; \
	FMA8(Z31, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15); \
	VMOVUPS (SI)(R9*1), Z30; \
	FMA8(Z30, Z9, Z10, Z11, Z12, Z13, Z14, Z15, Z16); \
	VMOVUPS (SI)(R9*2), Z31; \
	FMA8(Z31, Z10, Z11, Z12, Z13, Z14, Z15, Z16, Z17); \
	VMOVUPS (SI)(R10*1), Z30; \
	FMA8(Z30, Z11, Z12, Z13, Z14, Z15, Z16, Z17, Z18); \
	VMOVUPS (BX), Z31; \
	FMA8(Z31, Z12, Z13, Z14, Z15, Z16, Z17, Z18, Z19)

TEXT ·dwDense512K7(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), DI
	MOVQ cs+8(FP), CX
	MOVQ rs+16(FP), AX
	MOVQ rows+24(FP), R8
	MOVQ k+32(FP), SI
	MOVQ kcs+40(FP), R9
	LEAQ (CX)(CX*2), R11
	LEAQ (R9)(R9*2), R10
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

d512k7:
	LEAQ (DI)(CX*4), R12
	LEAQ (R12)(CX*4), R13
	LEAQ (R13)(CX*4), DX
	LOAD4(DI, Z8, Z9, Z10, Z11)
	LOAD4(R12, Z12, Z13, Z14, Z15)
	LOAD4(R13, Z16, Z17, Z18, Z19)
	VMOVUPS (DX), Z20
	VMOVUPS (DX)(CX*1), Z21
	DENSE512_COLS5
	VMOVUPS (BX)(R9*1), Z30
	FMA8(Z30, Z13, Z14, Z15, Z16, Z17, Z18, Z19, Z20)
	VMOVUPS (BX)(R9*2), Z31
	FMA8(Z31, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21)
	ADDQ    AX, DI
	LEAQ    (BX)(R10*1), SI
	DECQ    R8
	JNE     d512k7
	MOVQ acc+48(FP), DI
	MOVQ as+56(FP), CX
	STORE8S(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	VZEROUPPER
	RET

TEXT ·dwDense512K5(SB), NOSPLIT, $0-64
	MOVQ x+0(FP), DI
	MOVQ cs+8(FP), CX
	MOVQ rs+16(FP), AX
	MOVQ rows+24(FP), R8
	MOVQ k+32(FP), SI
	MOVQ kcs+40(FP), R9
	LEAQ (CX)(CX*2), R11
	LEAQ (R9)(R9*2), R10
	ZERO8(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)

d512k5:
	LEAQ (DI)(CX*4), R12
	LEAQ (R12)(CX*4), R13
	LOAD4(DI, Z8, Z9, Z10, Z11)
	LOAD4(R12, Z12, Z13, Z14, Z15)
	LOAD4(R13, Z16, Z17, Z18, Z19)
	DENSE512_COLS5
	ADDQ    AX, DI
	LEAQ    (BX)(R9*1), SI
	DECQ    R8
	JNE     d512k5
	MOVQ acc+48(FP), DI
	MOVQ as+56(FP), CX
	STORE8S(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7)
	VZEROUPPER
	RET

// The AVX2 forms: four outputs of 8 channels (Y0-Y3), the input columns
// in Y4 on, the kernel vector in Y14/Y15.

#define FMA4(kv, x0, x1, x2, x3) \
	VFMADD231PS x0, kv, Y0; VFMADD231PS x1, kv, Y1; VFMADD231PS x2, kv, Y2; VFMADD231PS x3, kv, Y3

// DENSE256_COLS5 is DENSE512_COLS5 for four outputs (input columns in
// Y4 on).
#define DENSE256_COLS5 \
	LEAQ    (SI)(R9*4), BX; \
	VMOVUPS (SI), Y15; \
	FMA4(Y15, Y4, Y5, Y6, Y7); \
	VMOVUPS (SI)(R9*1), Y14; \
	FMA4(Y14, Y5, Y6, Y7, Y8); \
	VMOVUPS (SI)(R9*2), Y15; \
	FMA4(Y15, Y6, Y7, Y8, Y9); \
	VMOVUPS (SI)(R10*1), Y14; \
	FMA4(Y14, Y7, Y8, Y9, Y10); \
	VMOVUPS (BX), Y15; \
	FMA4(Y15, Y8, Y9, Y10, Y11)

TEXT ·dwDense256K7(SB), NOSPLIT, $0-64
	MOVQ   x+0(FP), DI
	MOVQ   cs+8(FP), CX
	MOVQ   rs+16(FP), AX
	MOVQ   rows+24(FP), R8
	MOVQ   k+32(FP), SI
	MOVQ   kcs+40(FP), R9
	LEAQ   (CX)(CX*2), R11
	LEAQ   (R9)(R9*2), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

d256k7:
	LEAQ    (DI)(CX*4), R12
	LEAQ    (R12)(CX*4), R13
	LOAD4(DI, Y4, Y5, Y6, Y7)
	LOAD4(R12, Y8, Y9, Y10, Y11)
	VMOVUPS (R13), Y12
	VMOVUPS (R13)(CX*1), Y13
	DENSE256_COLS5
	VMOVUPS (BX)(R9*1), Y14
	FMA4(Y14, Y9, Y10, Y11, Y12)
	VMOVUPS (BX)(R9*2), Y15
	FMA4(Y15, Y10, Y11, Y12, Y13)
	ADDQ    AX, DI
	LEAQ    (BX)(R10*1), SI
	DECQ    R8
	JNE     d256k7
	MOVQ    acc+48(FP), DI
	MOVQ    as+56(FP), CX
	LEAQ    (CX)(CX*2), R11
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(CX*1)
	VMOVUPS Y2, (DI)(CX*2)
	VMOVUPS Y3, (DI)(R11*1)
	VZEROUPPER
	RET

TEXT ·dwDense256K5(SB), NOSPLIT, $0-64
	MOVQ   x+0(FP), DI
	MOVQ   cs+8(FP), CX
	MOVQ   rs+16(FP), AX
	MOVQ   rows+24(FP), R8
	MOVQ   k+32(FP), SI
	MOVQ   kcs+40(FP), R9
	LEAQ   (CX)(CX*2), R11
	LEAQ   (R9)(R9*2), R10
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

d256k5:
	LEAQ    (DI)(CX*4), R12
	LOAD4(DI, Y4, Y5, Y6, Y7)
	LOAD4(R12, Y8, Y9, Y10, Y11)
	DENSE256_COLS5
	ADDQ    AX, DI
	LEAQ    (BX)(R9*1), SI
	DECQ    R8
	JNE     d256k5
	MOVQ    acc+48(FP), DI
	MOVQ    as+56(FP), CX
	LEAQ    (CX)(CX*2), R11
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, (DI)(CX*1)
	VMOVUPS Y2, (DI)(CX*2)
	VMOVUPS Y3, (DI)(R11*1)
	VZEROUPPER
	RET

// func fmaLoop512(n int)
//
// n rounds of twelve independent 16-lane multiply-adds (AVX-512F), on
// zeros: the machine's float32 FMA peak for FMAPeak.
TEXT ·fmaLoop512(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13

fma512:
	VFMADD231PS Z12, Z13, Z0
	VFMADD231PS Z12, Z13, Z1
	VFMADD231PS Z12, Z13, Z2
	VFMADD231PS Z12, Z13, Z3
	VFMADD231PS Z12, Z13, Z4
	VFMADD231PS Z12, Z13, Z5
	VFMADD231PS Z12, Z13, Z6
	VFMADD231PS Z12, Z13, Z7
	VFMADD231PS Z12, Z13, Z8
	VFMADD231PS Z12, Z13, Z9
	VFMADD231PS Z12, Z13, Z10
	VFMADD231PS Z12, Z13, Z11
	DECQ CX
	JNZ  fma512
	VZEROUPPER
	RET

// func fmaLoop256(n int)
//
// fmaLoop512 with 8-lane AVX2 vectors.
TEXT ·fmaLoop256(SB), NOSPLIT, $0-8
	MOVQ n+0(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13

fma256:
	VFMADD231PS Y12, Y13, Y0
	VFMADD231PS Y12, Y13, Y1
	VFMADD231PS Y12, Y13, Y2
	VFMADD231PS Y12, Y13, Y3
	VFMADD231PS Y12, Y13, Y4
	VFMADD231PS Y12, Y13, Y5
	VFMADD231PS Y12, Y13, Y6
	VFMADD231PS Y12, Y13, Y7
	VFMADD231PS Y12, Y13, Y8
	VFMADD231PS Y12, Y13, Y9
	VFMADD231PS Y12, Y13, Y10
	VFMADD231PS Y12, Y13, Y11
	DECQ CX
	JNZ  fma256
	VZEROUPPER
	RET

// func tileOut(out unsafe.Pointer, os uintptr, acc *[128]float32, add bool)
//
// Row r < 8 of the output, at out + r*os bytes, gets the 16 values
// acc[r*16:(r+1)*16], or has them added with add. AVX2.

#define TSTORE(off) \
	VMOVUPS off(SI), Y0; \
	VMOVUPS off+32(SI), Y1; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    CX, DI

#define TADD(off) \
	VMOVUPS off(SI), Y0; \
	VMOVUPS off+32(SI), Y1; \
	VADDPS  (DI), Y0, Y0; \
	VADDPS  32(DI), Y1, Y1; \
	VMOVUPS Y0, (DI); \
	VMOVUPS Y1, 32(DI); \
	ADDQ    CX, DI

TEXT ·tileOut(SB), NOSPLIT, $0-25
	MOVQ    out+0(FP), DI
	MOVQ    os+8(FP), CX
	MOVQ    acc+16(FP), SI
	MOVBQZX add+24(FP), AX
	TESTQ   AX, AX
	JNE     tileadd
	TSTORE(0)
	TSTORE(64)
	TSTORE(128)
	TSTORE(192)
	TSTORE(256)
	TSTORE(320)
	TSTORE(384)
	TSTORE(448)
	VZEROUPPER
	RET

tileadd:
	TADD(0)
	TADD(64)
	TADD(128)
	TADD(192)
	TADD(256)
	TADD(320)
	TADD(384)
	TADD(448)
	VZEROUPPER
	RET
