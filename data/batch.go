package data

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// CIFAR10Mean and CIFAR10Std are the per-channel (R, G, B) normalisation
// constants of the published recipe, on the [0, 1] scale. They are never
// modified; use CIFAR10Norm for slices that are safe to change.
var (
	CIFAR10Mean = [3]float32{0.4914, 0.4822, 0.4465}
	CIFAR10Std  = [3]float32{0.2470, 0.2435, 0.2616}
)

// CIFAR10Norm returns fresh copies of CIFAR10Mean and CIFAR10Std as slices.
func CIFAR10Norm() (mean, std []float32) {
	m, s := CIFAR10Mean, CIFAR10Std
	return m[:], s[:]
}

// Augment configures the training-time transform of each image, applied in
// the order of the reference recipe: pad with zero pixels and crop back at
// a random offset, flip horizontally, normalise per channel, then Cutout
// (which zeroes a square of the normalised image).
type Augment struct {
	CropPad int  // padding of the random crop, in pixels (4 in the recipe); 0 = no crop
	Flip    bool // random horizontal flip with probability 1/2 (off for digits)
	// Cutout is the side of the square zeroed at a random centre anywhere in
	// the image, clipped at the borders (16 in the recipe); 0 = off. As in the
	// reference, the square spans centre-Cutout/2 .. centre+Cutout/2.
	Cutout int
	// Mean and Std are per-channel normalisation constants on the [0, 1]
	// scale: x = (v/255 - Mean[c]) / Std[c]. Nil means computed from the
	// batcher's dataset with MeanStd.
	Mean, Std []float32
}

// CIFAR10Augment returns the augmentation of the published recipe: pad-4
// random crop, horizontal flip, Cutout 16, CIFAR-10 normalisation.
func CIFAR10Augment() Augment {
	m, s := CIFAR10Norm()
	return Augment{CropPad: 4, Flip: true, Cutout: 16, Mean: m, Std: s}
}

// Batcher cuts a dataset into shuffled, augmented float32 batches. A
// Batcher is immutable and safe for concurrent use; each Epoch iterator
// has its own buffers.
//
// Batches are deterministic for (seed, epoch): the order of an epoch is a
// seeded permutation, and the random draws of the image at position p of
// epoch e come from a generator keyed by (seed, e, p), so the result does
// not depend on the number of workers.
type Batcher struct {
	d       *Dataset
	batch   int
	aug     Augment
	lut     []float32 // C*256: normalised value of each byte per channel
	seed    int64
	workers int
	ordered bool // evaluation: no shuffle, no augmentation
}

// NewBatcher returns a batcher of d with the given batch size, augmentation
// and seed. It fails on an invalid dataset, an empty one, a batch size
// below 1, negative CropPad or Cutout, or normalisation constants of the
// wrong length or with a non-positive standard deviation.
func NewBatcher(d *Dataset, batch int, aug Augment, seed int64) (*Batcher, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.N == 0 {
		return nil, fmt.Errorf("data: batcher of %q: the dataset is empty", d.Name)
	}
	if batch < 1 {
		return nil, fmt.Errorf("data: batcher of %q: batch = %d: want >= 1", d.Name, batch)
	}
	if aug.CropPad < 0 {
		return nil, fmt.Errorf("data: batcher of %q: Augment.CropPad = %d: want >= 0", d.Name, aug.CropPad)
	}
	if aug.Cutout < 0 {
		return nil, fmt.Errorf("data: batcher of %q: Augment.Cutout = %d: want >= 0", d.Name, aug.Cutout)
	}
	mean, std, err := normFor(d, aug.Mean, aug.Std)
	if err != nil {
		return nil, err
	}
	aug.Mean, aug.Std = mean, std
	lut := make([]float32, d.C*256)
	for c := range d.C {
		for v := range 256 {
			lut[c*256+v] = (float32(v)/255 - mean[c]) / std[c]
		}
	}
	return &Batcher{d: d, batch: batch, aug: aug, lut: lut, seed: seed, workers: defaultWorkers()}, nil
}

// defaultWorkers is the number of goroutines that fill one batch.
func defaultWorkers() int { return min(runtime.GOMAXPROCS(0), 8) }

// normFor checks (copies of) mean and std for d, or computes them when
// both are nil.
func normFor(d *Dataset, mean, std []float32) ([]float32, []float32, error) {
	if mean == nil && std == nil {
		mean, std = d.MeanStd()
		for c := range std {
			if std[c] == 0 { // a constant channel: leave it unscaled
				std[c] = 1
			}
		}
		return mean, std, nil
	}
	if len(mean) != d.C || len(std) != d.C {
		return nil, nil, fmt.Errorf("data: normalisation for %q: len(Mean) = %d, len(Std) = %d: want %d (channels)", d.Name, len(mean), len(std), d.C)
	}
	for c := range d.C {
		if !(std[c] > 0) || math.IsInf(float64(std[c]), 0) || math.IsNaN(float64(mean[c])) || math.IsInf(float64(mean[c]), 0) {
			return nil, nil, fmt.Errorf("data: normalisation for %q: Mean[%d] = %v, Std[%d] = %v: want finite values and Std > 0", d.Name, c, mean[c], c, std[c])
		}
	}
	return append([]float32(nil), mean...), append([]float32(nil), std...), nil
}

// WithWorkers returns a copy of b that fills each batch with n goroutines
// (n < 1 means 1). The default is GOMAXPROCS, at most 8. With n > 1, the
// next batch is also prepared while the caller uses the current one. The
// batches are the same for any n.
func (b *Batcher) WithWorkers(n int) *Batcher {
	c := *b
	c.workers = max(n, 1)
	return &c
}

// Batches returns the number of batches of an epoch; the last one may be
// partial (nothing is dropped).
func (b *Batcher) Batches() int { return (b.d.N + b.batch - 1) / b.batch }

// Size returns the batch size.
func (b *Batcher) Size() int { return b.batch }

// Dataset returns the dataset being batched.
func (b *Batcher) Dataset() *Dataset { return b.d }

// Norm returns copies of the normalisation constants in use (those given,
// or those computed from the dataset). Pass them to EvalBatches to
// evaluate with the training normalisation.
func (b *Batcher) Norm() (mean, std []float32) {
	return append([]float32(nil), b.aug.Mean...), append([]float32(nil), b.aug.Std...)
}

// Epoch returns the batches of epoch e: x holds len(y) images as float32
// NHWC (len(y)*H*W*C values), y their labels. Both slices are reused: they
// are valid only until the loop body returns. Breaking out of the loop
// stops the work in progress.
func (b *Batcher) Epoch(e int) iter.Seq2[[]float32, []int32] {
	return func(yield func([]float32, []int32) bool) {
		b.run(e, yield)
	}
}

// EvalBatches returns the batches of d in order, normalised with mean and
// std (nil: computed from d; for evaluation pass the training set's, see
// Batcher.Norm) and not augmented; the last batch may be partial. The
// slices are valid only until the loop body returns.
func EvalBatches(d *Dataset, batch int, mean, std []float32) (iter.Seq2[[]float32, []int32], error) {
	b, err := NewBatcher(d, batch, Augment{Mean: mean, Std: std}, 0)
	if err != nil {
		return nil, err
	}
	b.ordered = true
	return func(yield func([]float32, []int32) bool) { b.run(0, yield) }, nil
}

// order returns the dataset indices of epoch e in order.
func (b *Batcher) order(e int) []int {
	if b.ordered {
		p := make([]int, b.d.N)
		for i := range p {
			p[i] = i
		}
		return p
	}
	return rand.New(rand.NewPCG(uint64(b.seed), uint64(int64(e))^0xba7c4e5)).Perm(b.d.N)
}

type batchBuf struct {
	x []float32
	y []int32
}

// run produces the batches of epoch e into yield.
func (b *Batcher) run(e int, yield func([]float32, []int32) bool) {
	perm := b.order(e)
	nb := b.Batches()
	sz := b.d.size()
	newBuf := func() *batchBuf {
		return &batchBuf{x: make([]float32, b.batch*sz), y: make([]int32, b.batch)}
	}
	if b.workers <= 1 {
		buf := newBuf()
		for k := range nb {
			n := b.fill(buf, perm, e, k)
			if !yield(buf.x[:n*sz], buf.y[:n]) {
				return
			}
		}
		return
	}
	// Prefetch: a producer fills one buffer while the caller holds the other.
	free := make(chan *batchBuf, 2)
	ready := make(chan *batchBuf, 1)
	done := make(chan struct{})
	free <- newBuf()
	free <- newBuf()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := range nb {
			var buf *batchBuf
			select {
			case buf = <-free:
			case <-done:
				return
			}
			b.fill(buf, perm, e, k)
			select {
			case ready <- buf:
			case <-done:
				return
			}
		}
	}()
	defer func() {
		close(done)
		wg.Wait()
	}()
	for k := range nb {
		buf := <-ready
		n := min(b.batch, b.d.N-k*b.batch)
		if !yield(buf.x[:n*sz], buf.y[:n]) {
			return
		}
		free <- buf
	}
}

// fill writes batch k of epoch e into buf, with b.workers goroutines, and
// returns its number of images.
func (b *Batcher) fill(buf *batchBuf, perm []int, e, k int) int {
	start := k * b.batch
	n := min(b.batch, b.d.N-start)
	w := min(b.workers, n)
	if w <= 1 {
		b.fillRange(buf, perm, e, start, 0, n)
		return n
	}
	var wg sync.WaitGroup
	per := (n + w - 1) / w
	for lo := per; lo < n; lo += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			b.fillRange(buf, perm, e, start, lo, hi)
		}(lo, min(lo+per, n))
	}
	b.fillRange(buf, perm, e, start, 0, min(per, n))
	wg.Wait()
	return n
}

// fillRange writes images lo..hi-1 of the batch starting at epoch position
// start.
func (b *Batcher) fillRange(buf *batchBuf, perm []int, e, start, lo, hi int) {
	sz := b.d.size()
	for j := lo; j < hi; j++ {
		p := start + j
		i := perm[p]
		buf.y[j] = b.d.Labels[i]
		dst := buf.x[j*sz : (j+1)*sz]
		if b.ordered {
			b.normalise(dst, b.d.Image(i))
			continue
		}
		b.augment(dst, b.d.Image(i), drawsFor(b.seed, e, p))
	}
}

// splitmix64 is a bijective 64-bit mixer (Steele, Lea, Flood 2014).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// draws are the random bits of one image: two independent 64-bit words.
type draws struct{ a, b uint64 }

// drawsFor keys the random bits of the image at position p of epoch e.
func drawsFor(seed int64, e, p int) draws {
	a := splitmix64(splitmix64(splitmix64(uint64(seed))^uint64(int64(e))) ^ uint64(int64(p)))
	return draws{a: a, b: splitmix64(a)}
}

// below maps 32 random bits to [0, n).
func below(bits uint64, n int) int { return int((bits & 0xffffffff) * uint64(n) >> 32) }

// normalise converts one image without augmentation.
func (b *Batcher) normalise(dst []float32, src []uint8) {
	c := b.d.C
	lut := b.lut
	if c == 3 {
		b.shift3(dst, src, 0, 0, false)
		return
	}
	if c == 1 {
		l := lut[:256]
		for i, v := range src {
			dst[i] = l[v]
		}
		return
	}
	for i, v := range src {
		dst[i] = lut[(i%c)*256+int(v)]
	}
}

// augment writes the augmented, normalised image src into dst.
func (b *Batcher) augment(dst []float32, src []uint8, r draws) {
	h, w, c := b.d.H, b.d.W, b.d.C
	p := b.aug.CropPad
	oy, ox := 0, 0
	if p > 0 {
		oy = below(r.a, 2*p+1) - p
		ox = below(r.a>>32, 2*p+1) - p
	}
	flip := b.aug.Flip && r.b&1 == 1
	if c == 3 {
		b.shift3(dst, src, oy, ox, flip)
	} else {
		b.shift(dst, src, oy, ox, flip)
	}
	if l := b.aug.Cutout; l > 0 {
		rowLen := w * c
		cy := below(r.b>>1, h)
		cx := below(r.b>>33, w)
		y1, y2 := max(cy-l/2, 0), min(cy+l/2, h)
		x1, x2 := max(cx-l/2, 0), min(cx+l/2, w)
		for y := y1; y < y2; y++ {
			clear(dst[y*rowLen+x1*c : y*rowLen+x2*c])
		}
	}
}

// shift writes the normalised image src, moved by (oy, ox) (out[y][x] =
// src[y+oy][x+ox], zero pixels outside) and flipped, into dst.
func (b *Batcher) shift(dst []float32, src []uint8, oy, ox int, flip bool) {
	h, w, c := b.d.H, b.d.W, b.d.C
	lut := b.lut
	rowLen := w * c
	for y := range h {
		row := dst[y*rowLen : (y+1)*rowLen]
		sy := y + oy
		if sy < 0 || sy >= h {
			for x := range w {
				for ch := range c {
					row[x*c+ch] = lut[ch*256]
				}
			}
			continue
		}
		srow := src[sy*rowLen : (sy+1)*rowLen]
		for x := range w {
			sx := x + ox
			if flip {
				sx = w - 1 - x + ox
			}
			o := row[x*c : x*c+c]
			if sx < 0 || sx >= w {
				for ch := range o {
					o[ch] = lut[ch*256]
				}
				continue
			}
			s := srow[sx*c : sx*c+c]
			for ch := range o {
				o[ch] = lut[ch*256+int(s[ch])]
			}
		}
	}
}

// shift3 is shift for three channels, with the tables indexed by byte so
// that the inner loops carry no bounds checks.
func (b *Batcher) shift3(dst []float32, src []uint8, oy, ox int, flip bool) {
	h, w := b.d.H, b.d.W
	l0 := (*[256]float32)(b.lut[0:256])
	l1 := (*[256]float32)(b.lut[256:512])
	l2 := (*[256]float32)(b.lut[512:768])
	z0, z1, z2 := l0[0], l1[0], l2[0]
	pad := func(o []float32) {
		for i := 0; i+3 <= len(o); i += 3 {
			q := o[i : i+3 : i+3]
			q[0], q[1], q[2] = z0, z1, z2
		}
	}
	rowLen := 3 * w
	// Output columns x0..x1-1 read source columns inside the image.
	x0, x1 := max(0, -ox), min(w, w-ox)
	if flip {
		x0, x1 = max(0, ox), min(w, w+ox)
	}
	for y := range h {
		row := dst[y*rowLen : (y+1)*rowLen : (y+1)*rowLen]
		sy := y + oy
		if sy < 0 || sy >= h || x0 >= x1 {
			pad(row)
			continue
		}
		pad(row[:3*x0])
		pad(row[3*x1:])
		srow := src[sy*rowLen : (sy+1)*rowLen : (sy+1)*rowLen]
		o := row[3*x0 : 3*x1]
		if !flip {
			s := srow[3*(x0+ox) : 3*(x1+ox)]
			s = s[:len(o)]
			for i := 0; i+3 <= len(o); i += 3 {
				q, v := o[i:i+3:i+3], s[i:i+3:i+3]
				q[0], q[1], q[2] = l0[v[0]], l1[v[1]], l2[v[2]]
			}
			continue
		}
		// Flipped: output column x reads source column w-1-x+ox.
		j := 3 * (w - 1 - x0 + ox)
		for i := 0; i+3 <= len(o); i += 3 {
			q, v := o[i:i+3:i+3], srow[j:j+3:j+3]
			q[0], q[1], q[2] = l0[v[0]], l1[v[1]], l2[v[2]]
			j -= 3
		}
	}
}
