package conv

import "runtime"

// Run computes out = ConvGeneral(x, k) for s; out must have the output
// size, must not overlap x or k, and is fully overwritten. workers <= 0
// means runtime.GOMAXPROCS(0). It returns an error (never panics) on a
// size mismatch or an invalid spec. Concurrent calls are safe.
func Run[T float32 | float64](s Spec, x, k, out []T, workers int) error {
	p, err := s.plan()
	if err != nil {
		return err
	}
	if err := p.checkSizes(len(x), len(k), len(out)); err != nil {
		return err
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if p.sp > 2 {
		reference(p, x, k, out)
		return nil
	}
	runFast(p, x, k, out, workers)
	return nil
}
