package fast_test

import (
	"math/rand/v2"
	"testing"

	"github.com/trgnas/trgnas/nas/backend/cpu/fast"
)

func TestFromBool(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	for _, n := range []int{0, 1, 7, 100000} { // the last takes the parallel path
		in := make([]bool, n)
		for i := range in {
			in[i] = r.IntN(2) == 1
		}
		out32 := make([]float32, n)
		out64 := make([]float64, n)
		for i := range out32 {
			out32[i], out64[i] = 7, 7 // must be overwritten
		}
		if err := fast.FromBool(in, out32, 2); err != nil {
			t.Fatal(err)
		}
		if err := fast.FromBool(in, out64, 3); err != nil {
			t.Fatal(err)
		}
		for i, v := range in {
			want := 0.0
			if v {
				want = 1
			}
			if float64(out32[i]) != want || out64[i] != want {
				t.Fatalf("n=%d: [%d] of %v = %g (float32), %g (float64)", n, i, v, out32[i], out64[i])
			}
		}
	}
	if err := fast.FromBool(make([]bool, 3), make([]float32, 2), 1); err == nil {
		t.Error("FromBool with a short output: no error")
	}
}

// BenchmarkFromBool compares with the branch per value of the Go backend's
// conversion on a random mask.
func BenchmarkFromBool(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	in := make([]bool, 1<<20)
	for i := range in {
		in[i] = r.IntN(2) == 1
	}
	out := make([]float32, len(in))
	b.Run("fast", func(b *testing.B) {
		for range b.N {
			_ = fast.FromBool(in, out, 1)
		}
	})
	b.Run("branches", func(b *testing.B) {
		for range b.N {
			for i, v := range in {
				if v {
					out[i] = 1
				} else {
					out[i] = 0
				}
			}
		}
	})
}
