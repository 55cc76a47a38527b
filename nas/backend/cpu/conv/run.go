package conv

import (
	"fmt"
	"runtime"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/par"
)

// Run computes out = ConvGeneral(x, k) for s; out must have the output
// size, must not overlap x or k, and is fully overwritten. workers <= 0
// means runtime.GOMAXPROCS(0). It returns an error (never panics) on a
// size mismatch or an invalid spec. Concurrent calls are safe.
func Run[T float32 | float64](s Spec, x, k, out []T, workers int) error {
	return RunEpilogue(s, x, k, out, nil, workers)
}

// RunEpilogue is Run followed by epi on every output value: epi.Rows gets
// runs of whole output rows (the output channels of consecutive
// positions; the spec's output channel axis must be the last) and changes
// them in place, from several workers at once. Where the GEMM computes
// the convolution with one group, the epilogue runs on each work item's
// rows as soon as their sums are complete, while they are still in cache,
// or in the micro kernels on each tile (see Epilogue); elsewhere it runs
// over the output afterwards. A nil epi is Run.
func RunEpilogue[T float32 | float64](s Spec, x, k, out []T, epi *Epilogue[T], workers int) error {
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
	if err := checkEpilogue(p, epi); err != nil {
		return err
	}
	runPlan(p, x, k, out, epi, workers)
	return nil
}

// checkEpilogue rejects an epilogue (when there is one) on a plan whose
// output channels are not on the last axis, or that does not fit it.
func checkEpilogue[T float32 | float64](p *plan, epi *Epilogue[T]) error {
	if epi == nil {
		return nil
	}
	if p.axes.OutputChannels != p.rank-1 {
		return fmt.Errorf("%w: an epilogue needs the output channels on the last axis, not axis %d of %d", ErrSpec, p.axes.OutputChannels, p.rank)
	}
	return epi.check(p.co)
}

// runPlan is RunEpilogue on checked operands, workers > 0.
func runPlan[T float32 | float64](p *plan, x, k, out []T, epi *Epilogue[T], workers int) {
	done := false
	if p.sp > 2 {
		reference(p, x, k, out)
	} else {
		done = runFast(p, x, k, out, epi, workers)
	}
	if epi != nil && !done {
		epilogueAfter(out, p.co, epi, workers)
	}
}

// epilogueAfter runs epi over out, rows of co values, in blocks of
// epilogueRows rows.
func epilogueAfter[T float32 | float64](out []T, co int, epi *Epilogue[T], workers int) {
	if len(out) == 0 {
		return
	}
	rows := len(out) / co
	per := max(1, min(rows, epilogueRows))
	par.For(workers, (rows+per-1)/per, func(_, i int) {
		epi.Rows(out[i*per*co : min(rows, (i+1)*per)*co])
	})
}

// epilogueRows is the number of output rows per call of an epilogue run
// after the convolution.
const epilogueRows = 64
