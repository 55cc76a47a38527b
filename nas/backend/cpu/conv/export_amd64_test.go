package conv

// UseAVX512 switches the AVX-512 micro kernel on or off (on only takes
// where the CPU has it) and returns the function that restores the
// setting.
func UseAVX512(on bool) (restore func()) {
	old := asm512
	asm512 = on && old
	return func() { asm512 = old }
}

// UseDirect lets gemmConv read panels of A in place (on) or packs every
// panel (off), and returns the function that restores the setting.
func UseDirect(on bool) (restore func()) {
	old := noDirect
	noDirect = !on
	return func() { noDirect = old }
}

// PaddedRowsRuns is how many GEMMs gemmConv has run over a zero-padded
// copy of the input with the output rows as they are.
func PaddedRowsRuns() int64 { return paddedRowsRuns.Load() }

// DirectPanels is how many panels gemmConv has read in place so far.
func DirectPanels() int64 { return directPanels.Load() }
