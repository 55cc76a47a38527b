package conv

// EpilogueRowsInItems is how many output rows have had their epilogue run
// by the GEMM work item that computed them.
func EpilogueRowsInItems() int64 { return epilogueRowsInItems.Load() }

// SeparableRuns is how many pairs RunSeparable has run in one pass.
func SeparableRuns() int64 { return separableRuns.Load() }

// SeparablePadded is how many of those ran their depthwise rows over a
// zero-padded copy of the input.
func SeparablePadded() int64 { return separablePadded.Load() }

// SetRowsOutsideBytes sets the image size from which the depthwise kernel
// gradient puts the kernel rows outside, and returns the function that
// restores it.
func SetRowsOutsideBytes(n int) (restore func()) {
	old := rowsOutsideBytes
	rowsOutsideBytes = n
	return func() { rowsOutsideBytes = old }
}

// SpatialGradRuns is how many kernel gradients spatialGrad has computed
// from x in place.
func SpatialGradRuns() int64 { return spatialGradRuns.Load() }

// EpilogueRowsInTiles is how many output rows have had their epilogue
// applied by the micro kernels as they stored the tiles.
func EpilogueRowsInTiles() int64 { return epilogueRowsInTiles.Load() }

// AsmTiles reports whether the float32 micro kernels here are the
// assembly ones (which apply epilogues to tiles).
func AsmTiles() bool { return colsOK[float32]() }
