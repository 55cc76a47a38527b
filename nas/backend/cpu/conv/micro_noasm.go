//go:build !amd64

package conv

// colsOK reports whether the assembly micro kernels run for T: there is
// none here.
func colsOK[T float32 | float64]() bool { return false }

// microRowsSeg is unused where colsOK is false.
func microRowsSeg[T float32 | float64](int, int, []T, int, int, int, []T, *[mr * nr]T, *tileDst, bool) {
}

// microRowsSeg2 is unused where colsOK is false.
func microRowsSeg2[T float32 | float64](int, int, []T, int, int, int, []T, int, *[mr * nr]T, *[mr * nr]T, *tileDst, bool, bool) {
}

// microSum32x2 is unused where colsOK is false.
func microSum32x2(int, []float32, int, int, []float32, int, *[mr * nr]float32, *[mr * nr]float32, bool, bool) {
	panic("conv: no assembly micro kernel in this build")
}

// storeTile32 does nothing here: there is no assembly store.
func storeTile32[T float32 | float64]([]T, int, int, *[mr * nr]T, bool) bool { return false }

// microStrided32 is unused where colsOK is false.
func microStrided32(int, []float32, int, int, []float32, *[mr * nr]float32) {
	panic("conv: no assembly micro kernel in this build")
}

// FMAPeak is 0: there is no vector micro kernel here.
func FMAPeak(workers int) float64 { return 0 }
