package norm_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/norm"
)

const eps = 1e-5

func randSlice(rng *rand.Rand, n int, shift, scale float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = shift + scale*rng.NormFloat64()
	}
	return v
}

func convert[T float32 | float64](v []float64) []T {
	out := make([]T, len(v))
	for i, e := range v {
		out[i] = T(e)
	}
	return out
}

// at is the index of (o, c, i) in the layout.
func at(l norm.Layout, o, c, i int) int { return (o*l.C+c)*l.Inner + i }

// refTraining is the textbook two-pass batch normalization.
func refTraining(l norm.Layout, x, scale, offset []float64) (y, mean, variance []float64) {
	n := float64(l.Outer * l.Inner)
	y = make([]float64, len(x))
	mean, variance = make([]float64, l.C), make([]float64, l.C)
	for c := range l.C {
		for o := range l.Outer {
			for i := range l.Inner {
				mean[c] += x[at(l, o, c, i)]
			}
		}
		mean[c] /= n
		for o := range l.Outer {
			for i := range l.Inner {
				d := x[at(l, o, c, i)] - mean[c]
				variance[c] += d * d
			}
		}
		variance[c] /= n
		for o := range l.Outer {
			for i := range l.Inner {
				j := at(l, o, c, i)
				y[j] = (x[j]-mean[c])/math.Sqrt(variance[c]+eps)*scale[c] + offset[c]
			}
		}
	}
	return y, mean, variance
}

// refGradient is the gradient of sum(y * gy) by the chain rule written out
// over the normalised values xhat.
func refGradient(l norm.Layout, x, scale, gy []float64) (gx, gscale, goffset []float64) {
	_, mean, variance := refTraining(l, x, scale, make([]float64, l.C))
	n := float64(l.Outer * l.Inner)
	gx = make([]float64, len(x))
	gscale, goffset = make([]float64, l.C), make([]float64, l.C)
	for c := range l.C {
		sd := math.Sqrt(variance[c] + eps)
		var sumG, sumGXhat float64
		for o := range l.Outer {
			for i := range l.Inner {
				j := at(l, o, c, i)
				xhat := (x[j] - mean[c]) / sd
				sumG += gy[j]
				sumGXhat += gy[j] * xhat
			}
		}
		gscale[c], goffset[c] = sumGXhat, sumG
		for o := range l.Outer {
			for i := range l.Inner {
				j := at(l, o, c, i)
				xhat := (x[j] - mean[c]) / sd
				gx[j] = scale[c] / sd * (gy[j] - sumG/n - xhat*sumGXhat/n)
			}
		}
	}
	return gx, gscale, goffset
}

func near(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %.9g, want %.9g", what, i, got[i], want[i])
		}
	}
}

func toF64[T float32 | float64](v []T) []float64 {
	out := make([]float64, len(v))
	for i, e := range v {
		out[i] = float64(e)
	}
	return out
}

var layouts = []norm.Layout{
	{Outer: 1, C: 1, Inner: 2},
	{Outer: 7, C: 3, Inner: 1},
	{Outer: 64 * 8 * 8, C: 16, Inner: 1}, // several blocks, NHWC
	{Outer: 5, C: 4, Inner: 9},           // NCHW-like
	{Outer: 2, C: 33, Inner: 300},
	{Outer: 3000, C: 1, Inner: 7},
	{Outer: 3001, C: 7, Inner: 1},  // NHWC, 4 features and then 3 at a time
	{Outer: 1000, C: 21, Inner: 1}, // NHWC, several blocks, features past 16
}

func checkType[T float32 | float64](t *testing.T, tol float64) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, l := range layouts {
		size := l.Outer * l.C * l.Inner
		x := randSlice(rng, size, 3, 2) // a mean away from 0
		scale, offset := randSlice(rng, l.C, 1, 0.5), randSlice(rng, l.C, 0, 1)
		gy := randSlice(rng, size, 0, 1)
		wantY, wantM, wantV := refTraining(l, x, scale, offset)
		wantGX, wantGS, wantGO := refGradient(l, x, scale, gy)
		var firstY, firstGX []T
		for _, workers := range []int{1, 2, 3} {
			y, m, v := make([]T, size), make([]T, l.C), make([]T, l.C)
			if err := norm.Training(l, convert[T](x), convert[T](scale), convert[T](offset), eps, y, m, v, workers); err != nil {
				t.Fatal(err)
			}
			near(t, "y", toF64(y), wantY, tol)
			near(t, "mean", toF64(m), wantM, tol)
			near(t, "variance", toF64(v), wantV, tol)
			gx, gs, g0 := make([]T, size), make([]T, l.C), make([]T, l.C)
			if err := norm.Gradient(l, convert[T](x), convert[T](scale), m, v, convert[T](gy), eps, gx, gs, g0, workers); err != nil {
				t.Fatal(err)
			}
			near(t, "gx", toF64(gx), wantGX, 30*tol)
			near(t, "gscale", toF64(gs), wantGS, 30*tol)
			near(t, "goffset", toF64(g0), wantGO, 30*tol)
			// The same bits whatever the number of workers.
			if firstY == nil {
				firstY, firstGX = y, gx
			} else if !slices.Equal(y, firstY) || !slices.Equal(gx, firstGX) {
				t.Errorf("layout %+v: results with %d workers differ from 1 worker", l, workers)
			}
		}
	}
}

func TestTrainingAndGradient(t *testing.T) {
	t.Run("float64", func(t *testing.T) { checkType[float64](t, 1e-10) })
	t.Run("float32", func(t *testing.T) { checkType[float32](t, 2e-5) })
}

// TestGradientFiniteDifferences checks Gradient against central
// differences of sum(Training(x) * gy), independently of the formula.
func TestGradientFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	l := norm.Layout{Outer: 3, C: 2, Inner: 4}
	size := l.Outer * l.C * l.Inner
	x, gy := randSlice(rng, size, 1, 1), randSlice(rng, size, 0, 1)
	scale, offset := randSlice(rng, l.C, 1, 0.3), randSlice(rng, l.C, 0, 1)
	loss := func(x, scale, offset []float64) float64 {
		y, m, v := make([]float64, size), make([]float64, l.C), make([]float64, l.C)
		if err := norm.Training(l, x, scale, offset, eps, y, m, v, 2); err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for i := range y {
			s += y[i] * gy[i]
		}
		return s
	}
	y, m, v := make([]float64, size), make([]float64, l.C), make([]float64, l.C)
	if err := norm.Training(l, x, scale, offset, eps, y, m, v, 2); err != nil {
		t.Fatal(err)
	}
	gx, gs, g0 := make([]float64, size), make([]float64, l.C), make([]float64, l.C)
	if err := norm.Gradient(l, x, scale, m, v, gy, eps, gx, gs, g0, 2); err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	for _, tc := range []struct {
		name string
		vals []float64
		grad []float64
	}{{"x", x, gx}, {"scale", scale, gs}, {"offset", offset, g0}} {
		for i := range tc.vals {
			orig := tc.vals[i]
			tc.vals[i] = orig + h
			lp := loss(x, scale, offset)
			tc.vals[i] = orig - h
			lm := loss(x, scale, offset)
			tc.vals[i] = orig
			if fd := (lp - lm) / (2 * h); math.Abs(fd-tc.grad[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("d/d%s[%d] = %.9g, finite difference %.9g", tc.name, i, tc.grad[i], fd)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	l := norm.Layout{Outer: 2, C: 3, Inner: 1}
	ok := func(n int) []float32 { return make([]float32, n) }
	cases := []struct {
		name, want string
		err        error
	}{
		{"short x", "x has 5 values, want 6", norm.Training(l, ok(5), ok(3), ok(3), eps, ok(6), ok(3), ok(3), 1)},
		{"short scale", "scale has 2 values", norm.Training(l, ok(6), ok(2), ok(3), eps, ok(6), ok(3), ok(3), 1)},
		{"short gx", "gx has 7 values", norm.Gradient(l, ok(6), ok(3), ok(3), ok(3), ok(6), eps, ok(7), ok(3), ok(3), 1)},
		{"no values", "no values per feature", norm.Training(norm.Layout{Outer: 0, C: 3, Inner: 1}, ok(0), ok(3), ok(3), eps, ok(0), ok(3), ok(3), 1)},
	}
	for _, tc := range cases {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, tc.err, tc.want)
		}
	}
	if _, err := norm.LayoutOf([]int{2, 3}, 2); err == nil {
		t.Error("LayoutOf with feature axis 2 of rank 2: no error")
	}
	l, err := norm.LayoutOf([]int{4, 5, 6, 7}, 1)
	if err != nil || l != (norm.Layout{Outer: 4, C: 5, Inner: 42}) {
		t.Errorf("LayoutOf([4 5 6 7], 1) = %+v, %v", l, err)
	}
}

func TestInference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, l := range layouts {
		size := l.Outer * l.C * l.Inner
		x := randSlice(rng, size, 1, 2)
		scale, offset := randSlice(rng, l.C, 1, 0.5), randSlice(rng, l.C, 0, 1)
		mean, variance := randSlice(rng, l.C, 0, 1), randSlice(rng, l.C, 2, 0.5)
		for i := range variance {
			variance[i] = math.Abs(variance[i])
		}
		want := make([]float64, size)
		for o := range l.Outer {
			for c := range l.C {
				for i := range l.Inner {
					j := at(l, o, c, i)
					want[j] = (x[j]-mean[c])/math.Sqrt(variance[c]+eps)*scale[c] + offset[c]
				}
			}
		}
		y := make([]float32, size)
		if err := norm.Inference(l, convert[float32](x), convert[float32](scale), convert[float32](offset),
			convert[float32](mean), convert[float32](variance), eps, y, 2); err != nil {
			t.Fatal(err)
		}
		near(t, "y", toF64(y), want, 2e-5)
	}
	if err := norm.Inference(norm.Layout{Outer: 2, C: 3, Inner: 1}, make([]float32, 6), make([]float32, 3),
		make([]float32, 3), make([]float32, 4), make([]float32, 3), eps, make([]float32, 6), 1); err == nil || !strings.Contains(err.Error(), "mean has 4 values") {
		t.Errorf("Inference with a short mean: error %v", err)
	}
}

// TestTrainingLargeMean checks the statistics where the mean is large next
// to the spread (float32 data around 1000 with standard deviation 0.01),
// for C = 3 (scalar loops) and C = 19 (vector kernels for 16 features in
// a GOEXPERIMENT=simd build, scalar for 3).
func TestTrainingLargeMean(t *testing.T) {
	for _, c := range []int{3, 19} {
		rng := rand.New(rand.NewPCG(7, uint64(c)))
		l := norm.Layout{Outer: 4096, C: c, Inner: 1}
		x32 := convert[float32](randSlice(rng, l.Outer*l.C, 1000, 0.01))
		x := toF64(x32)
		ones := make([]float32, c)
		for i := range ones {
			ones[i] = 1
		}
		y, m, v := make([]float32, len(x32)), make([]float32, l.C), make([]float32, l.C)
		if err := norm.Training(l, x32, ones, make([]float32, l.C), eps, y, m, v, 2); err != nil {
			t.Fatal(err)
		}
		_, wantM, wantV := refTraining(l, x, toF64(ones), make([]float64, l.C))
		near(t, "mean", toF64(m), wantM, 1e-7)
		for ch := range l.C {
			if rel := math.Abs(float64(v[ch])-wantV[ch]) / wantV[ch]; rel > 1e-5 {
				t.Errorf("C=%d: variance[%d] = %g, want %g (relative error %.2g)", c, ch, v[ch], wantV[ch], rel)
			}
		}
	}
}

// TestFusedNeighbours checks TrainingThen and GradientFilled against
// Training and Gradient with the neighbouring op applied in a separate
// pass: the same bits, on every layout and with 1 and 3 workers (then and
// fill see each row once, in blocks of whole rows).
func TestFusedNeighbours(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	relu := func(v []float32) {
		for i, e := range v {
			v[i] = max(e, 0)
		}
	}
	for _, l := range layouts {
		size := l.Outer * l.C * l.Inner
		x := convert[float32](randSlice(rng, size, 1, 2))
		g, r := convert[float32](randSlice(rng, size, 0, 1)), convert[float32](randSlice(rng, size, 0, 1))
		relu(r)
		scale, offset := convert[float32](randSlice(rng, l.C, 1, 0.5)), convert[float32](randSlice(rng, l.C, 0, 1))
		for _, workers := range []int{1, 3} {
			y, m, v := make([]float32, size), make([]float32, l.C), make([]float32, l.C)
			if err := norm.Training(l, x, scale, offset, eps, y, m, v, workers); err != nil {
				t.Fatal(err)
			}
			relu(y)
			fy, fm, fv := make([]float32, size), make([]float32, l.C), make([]float32, l.C)
			var seen atomic.Int64
			if err := norm.TrainingThen(l, x, scale, offset, eps, fy, fm, fv, workers, func(rows []float32) {
				if len(rows)%(l.C*l.Inner) != 0 {
					t.Errorf("%+v: then got %d values, not whole rows", l, len(rows))
				}
				relu(rows)
				seen.Add(int64(len(rows)))
			}); err != nil {
				t.Fatal(err)
			}
			if n := seen.Load(); n != int64(size) {
				t.Errorf("%+v: then saw %d values, want %d", l, n, size)
			}
			sameBits(t, "TrainingThen y", fy, y)
			sameBits(t, "TrainingThen mean", fm, m)
			sameBits(t, "TrainingThen variance", fv, v)

			gy := make([]float32, size)
			for i := range gy {
				if r[i] > 0 {
					gy[i] = g[i]
				}
			}
			gx, gs, gb := make([]float32, size), make([]float32, l.C), make([]float32, l.C)
			if err := norm.Gradient(l, x, scale, m, v, gy, eps, gx, gs, gb, workers); err != nil {
				t.Fatal(err)
			}
			w := l.C * l.Inner
			fgx, fgs, fgb := make([]float32, size), make([]float32, l.C), make([]float32, l.C)
			if err := norm.GradientFilled(l, x, scale, m, v, eps, fgx, fgs, fgb, workers, func(lo, hi int) {
				for i := lo * w; i < hi*w; i++ {
					fgx[i] = 0
					if r[i] > 0 {
						fgx[i] = g[i]
					}
				}
			}); err != nil {
				t.Fatal(err)
			}
			sameBits(t, "GradientFilled gx", fgx, gx)
			sameBits(t, "GradientFilled gscale", fgs, gs)
			sameBits(t, "GradientFilled goffset", fgb, gb)
		}
	}
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s[%d] = %g, want %g", what, i, got[i], want[i])
			return
		}
	}
}
