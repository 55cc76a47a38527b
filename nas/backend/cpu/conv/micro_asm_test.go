//go:build amd64

package conv

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/isa"
)

// TestMicroAsm checks the assembly micro kernels (AVX-512 where the CPU
// has it, and AVX2) against float64 sums for A in rows (as packA lays it
// out) and in columns (spatialGrad's x), for depths around their
// four-step unrolling, and that they refuse operands too short for what
// they would read.
func TestMicroAsm(t *testing.T) {
	forMicroPaths(t, func(name string) { t.Run(name, testMicroAsm) })
}

// forMicroPaths runs f with the AVX2 micro kernels and, where the CPU
// has them, the AVX-512 ones (asm512 set accordingly, then restored), or
// skips t without AVX2 and FMA.
func forMicroPaths(t *testing.T, f func(name string)) {
	if !asmOK {
		t.Skip("no AVX2 and FMA on this CPU: the assembly kernels are not used")
	}
	paths := map[string]bool{"avx2": false}
	if isa.AVX512 {
		paths["avx512"] = true
	} else {
		t.Log("AVX-512 kernel not tested: the CPU lacks it or " + isa.EnvVar + " restricts the kernels")
	}
	defer func(v bool) { asm512 = v }(asm512)
	for name, on := range paths {
		asm512 = on
		f(name)
	}
}

func testMicroAsm(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, kc := range []int{1, 2, 3, 4, 5, 7, 8, 9, 56, 112, 129} {
		for _, layout := range []string{"rows", "cols"} {
			rs, ks, ld := kc, 1, mr*kc
			if layout == "cols" {
				// Columns of a wider row-major matrix: mr+3 values per step.
				rs, ks, ld = 1, mr+3, (mr+3)*kc
			}
			a := make([]float32, ld)
			for i := range a {
				a[i] = float32(r.NormFloat64())
			}
			b := make([]float32, kc*nr)
			for i := range b {
				b[i] = float32(r.NormFloat64())
			}
			acc := [mr * nr]float32{}
			for i := range acc {
				acc[i] = 99 // must be overwritten
			}
			microStrided32(kc, a, rs, ks, b, &acc)
			// The same sum in two calls, the second going on from the
			// first's tile, has the same bits.
			split := [mr * nr]float32{}
			for i := range split {
				split[i] = 99
			}
			k1 := kc / 3
			microSum32(k1, a, rs, ks, b, &split, false)
			microSum32(kc-k1, a[k1*ks:], rs, ks, b[k1*nr:], &split, true)
			if split != acc {
				t.Fatalf("%s kc %d: split at %d gives other bits than one call", layout, kc, k1)
			}
			// Two panels in one call (B's second panel 3 steps past the
			// first's end), split the same way, have each panel's bits.
			b2 := make([]float32, (2*kc+3)*nr)
			for i := range b2 {
				b2[i] = float32(r.NormFloat64())
			}
			bs := (kc + 3) * nr
			var one0, one1, two0, two1 [mr * nr]float32
			microSum32(k1, a, rs, ks, b2, &one0, false)
			microSum32(kc-k1, a[k1*ks:], rs, ks, b2[k1*nr:], &one0, true)
			microSum32(k1, a, rs, ks, b2[bs:], &one1, false)
			microSum32(kc-k1, a[k1*ks:], rs, ks, b2[bs+k1*nr:], &one1, true)
			microSum32x2(k1, a, rs, ks, b2, bs, &two0, &two1, false, false)
			microSum32x2(kc-k1, a[k1*ks:], rs, ks, b2[k1*nr:], bs, &two0, &two1, true, false)
			if one0 != two0 || one1 != two1 {
				t.Fatalf("%s kc %d: two panels in one call give other bits than one call each", layout, kc)
			}
			// A half second panel: its first 8 columns have those bits,
			// the other 8 stay as they were.
			var half0, half1 [mr * nr]float32
			for i := range half1 {
				half1[i] = 99
			}
			microSum32x2(k1, a, rs, ks, b2, bs, &half0, &half1, false, true)
			microSum32x2(kc-k1, a[k1*ks:], rs, ks, b2[k1*nr:], bs, &half0, &half1, true, true)
			if half0 != one0 {
				t.Fatalf("%s kc %d: the first panel beside a half one has other bits", layout, kc)
			}
			for row := range mr {
				for c := range nr {
					want := one1[row*nr+c]
					if c >= nr/2 {
						want = 99
					}
					if got := half1[row*nr+c]; got != want {
						t.Fatalf("%s kc %d: half panel acc[%d][%d] = %g, want %g", layout, kc, row, c, got, want)
					}
				}
			}
			for row := range mr {
				for c := range nr {
					var want, mag float64
					for kk := range kc {
						p := float64(a[row*rs+kk*ks]) * float64(b[kk*nr+c])
						want += p
						mag += math.Abs(p)
					}
					if got := float64(acc[row*nr+c]); math.Abs(got-want) > 1e-5*mag+1e-6 {
						t.Fatalf("%s kc %d: acc[%d][%d] = %g, want %g", layout, kc, row, c, got, want)
					}
				}
			}
		}
	}
	acc := [mr * nr]float32{1}
	microStrided32(0, nil, 0, 1, nil, &acc)
	if acc != ([mr * nr]float32{}) {
		t.Error("kc 0: tile not zeroed")
	}
	defer func() {
		if e := recover(); e == nil || !strings.Contains(e.(string), "reads past") {
			t.Errorf("short A: panic %v, want one saying it reads past its operands", e)
		}
	}()
	microStrided32(8, make([]float32, mr*8-1), 8, 1, make([]float32, 8*nr), &acc)
}

// TestMicroPairBounds: the two-panel kernel refuses a B too short for its
// second panel.
func TestMicroPairBounds(t *testing.T) {
	if !asmOK {
		t.Skip("no AVX2 and FMA on this CPU: the assembly kernels are not used")
	}
	defer func() {
		if e := recover(); e == nil || !strings.Contains(fmt.Sprint(e), "reads past") {
			t.Errorf("short B: panic %v, want one saying it reads past its operands", e)
		}
	}()
	var acc0, acc1 [mr * nr]float32
	microSum32x2(8, make([]float32, mr*8), 8, 1, make([]float32, 8*nr+8*nr-1), 8*nr, &acc0, &acc1, false, false)
}

// TestMicroScalarTile checks the plain-Go kernel that CPUs without AVX2
// and FMA run at this tile against the same float64 sums.
func TestMicroScalarTile(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	for _, kc := range []int{1, 3, 8, 57} {
		a := make([]float32, mr*kc)
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		b := make([]float32, kc*nr)
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		var acc [mr * nr]float32
		microScalar(kc, a, b, &acc)
		for row := range mr {
			for c := range nr {
				var want, mag float64
				for kk := range kc {
					p := float64(a[row*kc+kk]) * float64(b[kk*nr+c])
					want += p
					mag += math.Abs(p)
				}
				if got := float64(acc[row*nr+c]); math.Abs(got-want) > 1e-5*mag+1e-6 {
					t.Fatalf("kc %d: acc[%d][%d] = %g, want %g", kc, row, c, got, want)
				}
			}
		}
	}
}

// BenchmarkMicroPair compares one micro kernel call per panel of B with
// one call per pair of panels (microSum32x2), A read in place at row
// stride kc.
func BenchmarkMicroPair(b *testing.B) {
	if !colsOK[float32]() {
		b.Skip("no assembly kernel")
	}
	for _, kc := range []int{32, 64, 168, 504} {
		for _, cogP := range []int{32, 64, 128} {
			a, bp := microOperands(kc, cogP)
			var acc0, acc1 [mr * nr]float32
			flops := 2 * float64(mr*cogP*kc)
			b.Run(fmt.Sprintf("kc%d_n%d/single", kc, cogP), func(b *testing.B) {
				for b.Loop() {
					for c0 := 0; c0 < cogP; c0 += nr {
						microSum32(kc, a, kc, 1, bp[c0*kc:], &acc0, false)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
			b.Run(fmt.Sprintf("kc%d_n%d/pair", kc, cogP), func(b *testing.B) {
				for b.Loop() {
					for c0 := 0; c0 < cogP; c0 += 2 * nr {
						microSum32x2(kc, a, kc, 1, bp[c0*kc:], kc*nr, &acc0, &acc1, false, false)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestMicroSegments: one call over nseg segments (A's rows restarting
// segs values further on, B going on) gives the bits of nseg calls that
// each go on from the last's tile, for one panel of B and for two, on the
// AVX-512 and AVX2 kernels; and the call refuses segments that would read
// past A.
func TestMicroSegments(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	forMicroPaths(t, func(name string) {
		for _, c := range []struct{ kc, nseg, rs, segs int }{{1, 3, 5, 40}, {5, 2, 16, 96}, {80, 5, 16, 576}, {7, 7, 32, 700}, {224, 3, 64, 1408}} {
			a := make([]float32, (mr-1)*c.rs+(c.nseg-1)*c.segs+c.kc)
			b := make([]float32, 2*c.nseg*c.kc*nr)
			for i := range a {
				a[i] = float32(r.NormFloat64())
			}
			for i := range b {
				b[i] = float32(r.NormFloat64())
			}
			bs := c.nseg * c.kc * nr
			var want0, want1, got0, got1 [mr * nr]float32
			for i := range want0 {
				want0[i], got0[i] = float32(i), float32(i)
				want1[i], got1[i] = float32(-i), float32(-i)
			}
			for s := range c.nseg {
				microSum32(c.kc, a[s*c.segs:], c.rs, 1, b[s*c.kc*nr:], &want0, true)
				microSum32(c.kc, a[s*c.segs:], c.rs, 1, b[bs+s*c.kc*nr:], &want1, true)
			}
			microSeg32(c.kc, c.nseg, a, c.rs, 1, c.segs, b, &got0, true)
			if got0 != want0 {
				t.Errorf("%s %+v: one segmented call differs from %d calls", name, c, c.nseg)
			}
			got0 = [mr * nr]float32{}
			for i := range got0 {
				got0[i] = float32(i)
			}
			microSeg32x2(c.kc, c.nseg, a, c.rs, 1, c.segs, b, bs, &got0, &got1, true, false)
			if got0 != want0 || got1 != want1 {
				t.Errorf("%s %+v: one segmented call for two panels differs from %d calls each", name, c, c.nseg)
			}
			// With a half second panel: its first 8 columns as above.
			for i := range got0 {
				got0[i], got1[i] = float32(i), float32(-i)
			}
			microSeg32x2(c.kc, c.nseg, a, c.rs, 1, c.segs, b, bs, &got0, &got1, true, true)
			for i := range got1 {
				if w := want1[i]; i%nr >= nr/2 && got1[i] != float32(-i) || i%nr < nr/2 && got1[i] != w || got0 != want0 {
					t.Errorf("%s %+v: segmented call with a half panel: acc1[%d] = %g", name, c, i, got1[i])
					break
				}
			}
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s %+v: segments past A accepted", name, c)
					}
				}()
				microSeg32(c.kc, c.nseg, a[:len(a)-1], c.rs, 1, c.segs, b, &got0, false)
			}()
		}
	})
}

// TestMicroTileDst: the micro kernels' tiles stored straight into rows of
// an output (a row stride other than the tile's, sums going on from the
// values there) with the epilogue applied as they are stored give the
// bits of the accumulator arrays with the epilogue after them, for one
// panel, two, and a half second panel, on the AVX-512 and AVX2 kernels;
// and nothing else in the output changes.
func TestMicroTileDst(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	forMicroPaths(t, func(name string) {
		const kc, ld = 19, 2*nr + 9 // output row stride: not the tile's
		a := make([]float32, mr*kc)
		b := make([]float32, 2*kc*nr)
		scale, shift := make([]float32, 2*nr), make([]float32, 2*nr)
		for i := range a {
			a[i] = float32(r.NormFloat64())
		}
		for i := range b {
			b[i] = float32(r.NormFloat64())
		}
		for c := range scale {
			scale[c], shift[c] = float32(r.NormFloat64()), float32(r.NormFloat64())
		}
		scale[3], shift[3] = 0, float32(math.Copysign(0, -1)) // -0 before the ReLU
		for _, relu := range []bool{false, true} {
			for _, panels := range []string{"one", "two", "half"} {
				var want0, want1 [mr * nr]float32
				out := make([]float32, mr*ld)
				for i := range out {
					out[i] = float32(i%7) - 3
				}
				for rr := range mr {
					copy(want0[rr*nr:(rr+1)*nr], out[rr*ld:])
					copy(want1[rr*nr:(rr+1)*nr], out[rr*ld+nr:])
				}
				orig := append([]float32(nil), out...)
				half := panels == "half"
				e := tileEpi{scale: unsafe.Pointer(&scale[0]), shift: unsafe.Pointer(&shift[0]), relu: relu}
				d := tileDst{d0: unsafe.Pointer(&out[0]), d1: unsafe.Pointer(&out[nr]), ds: ld * 4, epi: &e}
				cols := nr
				if panels == "one" {
					microSum32(kc, a, kc, 1, b, &want0, true)
					microSegTo32(kc, 1, a, kc, 1, 0, b, &d, true)
				} else {
					microSum32x2(kc, a, kc, 1, b, kc*nr, &want0, &want1, true, half)
					microSegTo32x2(kc, 1, a, kc, 1, 0, b, kc*nr, &d, true, half)
					cols = 2 * nr
					if half {
						cols = nr + nr/2
					}
				}
				for i := range out {
					rr, c := i/ld, i%ld
					want := orig[i]
					if c < cols {
						v := want0[rr*nr+c%nr]
						if c >= nr {
							v = want1[rr*nr+c-nr]
						}
						v = float32(v*scale[c]) + shift[c]
						if relu {
							v = max(v, 0)
						}
						want = v
					}
					if math.Float32bits(out[i]) != math.Float32bits(want) {
						t.Errorf("%s, %s panel(s), ReLU %v: out[%d] (row %d, column %d) = %g, want %g", name, panels, relu, i, rr, c, out[i], want)
						break
					}
				}
			}
		}
	})
}
