package cpu_test

import (
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"

	"github.com/trgnas/trgnas/nas/backend/cpu"
)

// refBatchGrouped is the kernel gradient of a depthwise convolution written
// as loops: out[di,dj,0,c] = sum_{n,i,j} x[n, s*i+di-p, s*j+dj-p, c] v[n,i,j,c],
// x [n,h,w,c], v [n,ho,wo,c].
func refBatchGrouped(x []float32, n, h, w, c int, v []float32, ho, wo, k, s, p int) []float32 {
	out := make([]float32, k*k*c)
	for di := range k {
		for dj := range k {
			for ch := range c {
				var sum float32
				for b := range n {
					for i := range ho {
						for j := range wo {
							r, q := s*i+di-p, s*j+dj-p
							if r < 0 || r >= h || q < 0 || q >= w {
								continue
							}
							sum += x[((b*h+r)*w+q)*c+ch] * v[((b*ho+i)*wo+j)*c+ch]
						}
					}
				}
				out[(di*k+dj)*c+ch] = sum
			}
		}
	}
	return out
}

// TestBatchGroupsSimpleGo checks a convolution with BatchGroupCount = C
// (the kernel gradient of a depthwise convolution, N contracted, output laid
// out [k,k,1,C]) against loops, on the backend with and without its kernels.
func TestBatchGroupsSimpleGo(t *testing.T) {
	const n, h, w, c, k, s, p = 2, 5, 5, 3, 3, 2, 1
	ho, wo := (h+2*p-k)/s+1, (w+2*p-k)/s+1
	x := input{dims: []int{n, h, w, c}, data: seq(n*h*w*c, 0.25)}
	v := input{dims: []int{n, ho, wo, c}, data: seq(n*ho*wo*c, 0.5)}
	want := [][]float32{refBatchGrouped(x.data, n, h, w, c, v.data, ho, wo, k, s, p)}
	end := k + (ho-1)*s - h - p
	fn := func(b compute.Function, ps []compute.Value) ([]compute.Value, error) {
		axes := compute.ConvolveAxesConfig{
			InputBatch: 3, InputChannels: 0, InputSpatial: []int{1, 2},
			KernelInputChannels: 0, KernelOutputChannels: 3, KernelSpatial: []int{1, 2},
			OutputBatch: 2, OutputChannels: 3, OutputSpatial: []int{0, 1},
		}
		y, err := b.ConvGeneral(ps[0], ps[1], axes, []int{1, 1}, [][2]int{{p, end}, {p, end}}, []int{1, 1}, []int{s, s}, 1, c)
		return []compute.Value{y}, err
	}
	for _, cfg := range []string{cpu.OptionNoConvKernels, cpu.OptionConvFallback, ""} {
		t.Run("config="+cfg, func(t *testing.T) {
			be := newGofill(t, cfg)
			got, _ := run(t, be, fn, []input{x, v}, nil)
			compare(t, cfg, got, want, 1e-4)
		})
	}
	// Upstream's Go backend still gets batch groups wrong: with v0.1.3 it
	// indexes out of range. Its ops run in sequence here, so that such a
	// panic is this goroutine's to recover.
	plain, err := gobackend.New("ops_sequential")
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Finalize()
	same := func() (same bool) {
		defer func() {
			if r := recover(); r != nil {
				t.Logf("plain Go backend: %v", r)
				same = false
			}
		}()
		got, _ := run(t, plain, fn, []input{x, v}, nil)
		for i := range want[0] {
			if d := got[0][i] - want[0][i]; d > 1e-4 || d < -1e-4 {
				return false
			}
		}
		return true
	}()
	if same {
		t.Log("the plain Go backend now gets batch groups right: the rewrite (simpleGoConv) can go")
	}
}
