//go:build !(goexperiment.simd && amd64)

package conv

// storeRow sets o = a (len(o) == len(a)).
func storeRow[T float32 | float64](o, a []T) {
	o = o[:len(a)]
	for c, v := range a {
		o[c] = v
	}
}

// addRow adds a to o (len(o) == len(a)).
func addRow[T float32 | float64](o, a []T) {
	o = o[:len(a)]
	for c, v := range a {
		o[c] += v
	}
}

// micro computes the mr x nr tile acc = A B over depth kc, with a holding
// mr rows of kc values and b kc rows of nr values: float32 with the
// assembly kernel where there is one (amd64 with AVX2 and FMA), the rest
// in plain Go.
func micro[T float32 | float64](kc int, a []T, b []T, acc *[mr * nr]T) {
	if colsOK[T]() {
		microStrided32(kc, any(a).([]float32), kc, 1, any(b).([]float32), any(acc).(*[mr * nr]float32))
		return
	}
	microScalar(kc, a, b, acc)
}

// dwPoint computes one output position of a depthwise problem with one
// output channel per group (see dwPointScalar).
func dwPoint[T float32 | float64](xc, kd []T, xo, ko []int, a []T) {
	dwPointScalar(xc, kd, xo, ko, a, 0)
}

// dotAcc adds the products x[i]*y[i] into the 8 partial sums acc.
func dotAcc[T float32 | float64](acc *[8]T, x, y []T) { dotAccScalar(acc, x, y) }

// dwRow3 is the vector path of a dense 3x3 depthwise row: none here.
func dwRow3[T float32 | float64](_ []T, _, _, _, _ int, _ []T, _, _ int, _ []T) int { return 0 }

// dwRowDense is the vector path of a dense depthwise row of stride 1:
// none here.
func dwRowDense[T float32 | float64](_ []T, _, _, _ int, _ []T, _, _, _, _, _ int, _ []T) int {
	return 0
}

// dwDotRun is the vector path of batchDepthwiseRuns: none here.
func dwDotRun[T float32 | float64](_ []T, _, _ int, _ []T, _, _, _ int, _ []T) int { return 0 }

// dwRowTaps is the vector path of a depthwise row from a tap list: none
// here.
func dwRowTaps[T float32 | float64](_ []T, _, _ int, _ []int, _ []T, _ []int, _, _ int, _ []T, _ int) int {
	return 0
}
