// Package isa says which vector instructions the backend's kernels use on
// this CPU: the kernels with an AVX-512 path (conv's, norm's and fast's
// element-wise ones) take it from here, so that one switch (EnvVar) keeps
// them all on AVX2.
package isa

import (
	"os"

	"golang.org/x/sys/cpu"
)

// EnvVar names the environment variable that restricts the kernels to a
// narrower instruction set than the CPU has: "avx2" keeps them off
// AVX-512, so that both paths can be tested and timed on one machine.
const EnvVar = "TRGNAS_CPU"

var (
	// AVX2 is true where AVX2 and FMA run (x86-64 only).
	AVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA
	// AVX512 is true where AVX-512 F, BW, DQ and VL run and EnvVar does
	// not restrict the kernels.
	AVX512 = AVX2 && cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW && cpu.X86.HasAVX512DQ &&
		cpu.X86.HasAVX512VL && os.Getenv(EnvVar) != "avx2"
)

// Path names the widest path the kernels take: "avx512", "avx2" or "go".
func Path() string {
	switch {
	case AVX512:
		return "avx512"
	case AVX2:
		return "avx2"
	}
	return "go"
}
