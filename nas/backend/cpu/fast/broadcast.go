package fast

import "fmt"

// smallRun is the length below which a broadcast run is filled by a plain
// loop rather than by doubling copies.
const smallRun = 32

// Broadcast writes into out, of dimensions outDims, the broadcast of in, of
// dimensions inDims: input axis i becomes output axis axes[i] (axes strictly
// increasing), where it has size 1 (broadcast) or outDims[axes[i]]; output
// axes not in axes are new (broadcast). This is BroadcastInDim. Work is
// split between up to workers goroutines for large outputs.
func Broadcast[T Float](in []T, inDims, axes []int, out []T, outDims []int, workers int) error {
	ax, err := broadcastPlan(inDims, axes, outDims)
	if err != nil {
		return fmt.Errorf("BroadcastInDim %v -> %v (axes %v): %w", inDims, outDims, axes, err)
	}
	nIn, _ := size(inDims)
	nOut, _ := size(outDims)
	if len(in) != nIn || len(out) != nOut {
		return fmt.Errorf("BroadcastInDim %v -> %v (axes %v): %d input and %d output values, want %d and %d",
			inDims, outDims, axes, len(in), len(out), nIn, nOut)
	}
	if nOut == 0 {
		return nil
	}
	if len(ax) == 0 { // a single element
		out[0] = in[0]
		return nil
	}
	parts := 1
	if nOut >= parallelMin {
		parts = min(workers, ax[0].n)
	}
	split(parts, func(p int) {
		lo, hi := bounds(ax[0].n, parts, p)
		fillRange(out, in, ax, lo, hi)
	})
	return nil
}

// broadcastPlan checks the broadcast and returns its merged axes, outermost
// first; flag marks copied axes (the input moves along them).
func broadcastPlan(inDims, axes, outDims []int) ([]axis, error) {
	if len(axes) != len(inDims) {
		return nil, fmt.Errorf("%d axes for an input of rank %d", len(axes), len(inDims))
	}
	if _, err := size(inDims); err != nil {
		return nil, fmt.Errorf("input: %w", err)
	}
	if _, err := size(outDims); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	copied := make([]bool, len(outDims))
	for i, a := range axes {
		if a < 0 || a >= len(outDims) {
			return nil, fmt.Errorf("axis %d (of input axis %d) out of range for output rank %d", a, i, len(outDims))
		}
		if i > 0 && a <= axes[i-1] {
			return nil, fmt.Errorf("axes not strictly increasing")
		}
		switch inDims[i] {
		case outDims[a]:
			copied[a] = true
		case 1:
		default:
			return nil, fmt.Errorf("input axis %d of size %d cannot become output axis %d of size %d", i, inDims[i], a, outDims[a])
		}
	}
	var ax []axis
	for a, n := range outDims {
		if n == 1 {
			continue
		}
		if k := len(ax) - 1; k >= 0 && ax[k].flag == copied[a] {
			ax[k].n *= n
			continue
		}
		ax = append(ax, axis{n: n, flag: copied[a]})
	}
	in, out := 1, 1
	for k := len(ax) - 1; k >= 0; k-- {
		ax[k].in, ax[k].out = in, out
		out *= ax[k].n
		if ax[k].flag {
			in *= ax[k].n
		} else {
			ax[k].in = 0
		}
	}
	return ax, nil
}

// fillRange writes indices [lo, hi) of the outermost axis of ax; out and in
// start at index 0 of that axis.
func fillRange[T Float](out, in []T, ax []axis, lo, hi int) {
	a := ax[0]
	if len(ax) == 1 {
		if a.flag {
			copy(out[lo:hi], in[lo:hi])
			return
		}
		o := out[lo:hi]
		if len(o) < smallRun {
			v := in[0]
			for i := range o {
				o[i] = v
			}
			return
		}
		o[0] = in[0]
		replicate(o, 1)
		return
	}
	if !a.flag {
		// Every index holds the same block: write the first, copy it.
		fillRange(out[lo*a.out:(lo+1)*a.out], in, ax[1:], 0, ax[1].n)
		replicate(out[lo*a.out:hi*a.out], a.out)
		return
	}
	if len(ax) == 2 && a.out < smallRun {
		// Copied axis over a short broadcast run: one value per run.
		o := out[lo*a.out : hi*a.out]
		for j, v := range in[lo:hi] {
			r := o[j*a.out : (j+1)*a.out]
			for i := range r {
				r[i] = v
			}
		}
		return
	}
	for j := lo; j < hi; j++ {
		fillRange(out[j*a.out:(j+1)*a.out], in[j*a.in:(j+1)*a.in], ax[1:], 0, ax[1].n)
	}
}

// replicate fills out with copies of its first n values.
func replicate[T Float](out []T, n int) {
	for n < len(out) {
		n += copy(out[n:], out[:n])
	}
}
