package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// SyntheticConfig describes a synthetic dataset. Zero (or negative) sizes
// take the defaults of a CIFAR-shaped set: N 1000, 32x32x3, 10 classes.
type SyntheticConfig struct {
	N, H, W, C int     // number of images and their shape
	Classes    int     // number of classes
	Seed       int64   // the same config and seed give the same dataset
	Noise      float64 // standard deviation of the added Gaussian noise, as a fraction of the pixel range (e.g. 0.2)
}

// withDefaults returns cfg with the defaults filled in.
func (cfg SyntheticConfig) withDefaults() SyntheticConfig {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.N, 1000)
	def(&cfg.H, 32)
	def(&cfg.W, 32)
	def(&cfg.C, 3)
	def(&cfg.Classes, 10)
	cfg.Noise = max(cfg.Noise, 0)
	return cfg
}

// Validate reports a config that NewSynthetic rejects: negative sizes or
// noise, or a NaN noise.
func (cfg SyntheticConfig) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"N", cfg.N}, {"H", cfg.H}, {"W", cfg.W}, {"C", cfg.C}, {"Classes", cfg.Classes}} {
		if f.v < 0 {
			return fmt.Errorf("data: SyntheticConfig.%s = %d: must not be negative (0 takes the default)", f.name, f.v)
		}
	}
	if !(cfg.Noise >= 0) || math.IsInf(cfg.Noise, 0) {
		return fmt.Errorf("data: SyntheticConfig.Noise = %v: want a finite value >= 0", cfg.Noise)
	}
	return nil
}

// NewSynthetic is Synthetic with the config validated first.
func NewSynthetic(cfg SyntheticConfig) (*Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return Synthetic(cfg), nil
}

// pattern is the class-dependent structure of a synthetic class: an
// oriented sinusoidal grating with a class colour, plus a class-dependent
// blob position.
type pattern struct {
	fx, fy     float64   // spatial frequency (cycles per pixel) along x and y
	colour     []float64 // per-channel amplitude in [-1, 1]
	bx, by     float64   // blob centre, as fractions of the width and height
	brightness float64   // per-class offset of the mean
}

// Synthetic generates a dataset with learnable structure: class k is an
// oriented grating of a class-specific frequency, orientation and colour
// with a random phase (so it must be recognised by its texture, not by
// fixed pixels), a class-specific bright blob, and Gaussian noise of
// standard deviation cfg.Noise (fraction of the pixel range). Classes are
// balanced (N/Classes images each, the remainder spread over the first
// classes) and shuffled. Zero or negative sizes take the defaults (see
// SyntheticConfig); a negative noise counts as 0. The result depends only
// on cfg, not on the number of CPUs.
func Synthetic(cfg SyntheticConfig) *Dataset {
	cfg = cfg.withDefaults()
	n, h, w, c, k := cfg.N, cfg.H, cfg.W, cfg.C, cfg.Classes
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5171e71c))
	pats := make([]pattern, k)
	for i := range pats {
		theta := math.Pi * (float64(i) + 0.5*rng.Float64()) / float64(k)
		freq := 0.06 + 0.18*rng.Float64()
		col := make([]float64, c)
		for ch := range col {
			col[ch] = 2*rng.Float64() - 1
		}
		pats[i] = pattern{fx: freq * math.Cos(theta), fy: freq * math.Sin(theta), colour: col,
			bx: 0.2 + 0.6*rng.Float64(), by: 0.2 + 0.6*rng.Float64(), brightness: 0.2*rng.Float64() - 0.1}
	}
	labels := make([]int32, n)
	for i := range labels {
		labels[i] = int32(i % k)
	}
	rng.Shuffle(n, func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
	names := make([]string, k)
	for i := range names {
		names[i] = fmt.Sprintf("class%d", i)
	}
	d := &Dataset{Name: "synthetic", Images: make([]uint8, n*h*w*c), Labels: labels, N: n, H: h, W: w, C: c, Classes: names}
	// Each image has its own generator seeded by (seed, index), so the
	// images can be drawn in parallel and stay the same.
	workers := min(runtime.GOMAXPROCS(0), max(n/256, 1))
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := wk; i < n; i += workers {
				synthImage(d.Image(i), &pats[labels[i]], cfg, uint64(i))
			}
		}()
	}
	wg.Wait()
	return d
}

// synthImage draws one image of pattern p into img (HWC).
func synthImage(img []uint8, p *pattern, cfg SyntheticConfig, index uint64) {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed)^0x9e3779b97f4a7c15, index))
	phase := 2 * math.Pi * rng.Float64()
	h, w, c := cfg.H, cfg.W, cfg.C
	// Jitter the blob a little so it is a soft cue, not a fixed pixel.
	bx := (p.bx + 0.1*(rng.Float64()-0.5)) * float64(w)
	by := (p.by + 0.1*(rng.Float64()-0.5)) * float64(h)
	r2 := math.Max(float64(h*w)/64, 1)
	for y := range h {
		for x := range w {
			g := math.Sin(2*math.Pi*(p.fx*float64(x)+p.fy*float64(y)) + phase)
			dx, dy := float64(x)-bx, float64(y)-by
			blob := math.Exp(-(dx*dx + dy*dy) / (2 * r2))
			for ch := range c {
				v := 0.5 + p.brightness + 0.3*p.colour[ch]*g + 0.25*blob
				if cfg.Noise > 0 {
					v += cfg.Noise * rng.NormFloat64()
				}
				img[(y*w+x)*c+ch] = uint8(math.Round(255 * math.Min(math.Max(v, 0), 1)))
			}
		}
	}
}
