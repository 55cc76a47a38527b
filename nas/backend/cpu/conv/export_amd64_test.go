package conv

// UseAVX512 switches the AVX-512 micro kernel on or off (on only takes
// where the CPU has it) and returns the function that restores the
// setting.
func UseAVX512(on bool) (restore func()) {
	old := asm512
	asm512 = on && old
	return func() { asm512 = old }
}
