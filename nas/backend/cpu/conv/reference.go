package conv

// Reference is the plain, obviously-correct nested-loop implementation of
// ConvGeneral, used by the tests as ground truth. It accumulates in float64
// and overwrites all of out. It returns an error (never panics) for an
// invalid spec or wrong slice lengths.
func Reference[T float32 | float64](s Spec, x, k, out []T) error {
	p, err := s.plan()
	if err != nil {
		return err
	}
	if err := p.checkSizes(len(x), len(k), len(out)); err != nil {
		return err
	}
	reference(p, x, k, out)
	return nil
}

func reference[T float32 | float64](p *plan, x, k, out []T) {
	a := p.axes
	oIdx := make([]int, p.sp) // output spatial index
	kIdx := make([]int, p.sp) // kernel spatial index
	nOutSp := product(p.outSp)
	nKerSp := product(p.kerSp)
	for b := range p.outBatch {
		for o := range p.co {
			g := o / p.cog // group of this output channel
			inBatch, ciBase := b, 0
			if p.bgc > 1 {
				inBatch = g*p.outBatch + b
			}
			if p.fgc > 1 {
				ciBase = g * p.cig
			}
			for os := range nOutSp {
				unflatten(os, p.outSp, oIdx)
				var sum float64
				for ks := range nKerSp {
					unflatten(ks, p.kerSp, kIdx)
					xOff := inBatch * p.inStr[a.InputBatch]
					kOff := o * p.kerStr[a.KernelOutputChannels]
					inside := true
					for d := range p.sp {
						// Position in the padded, dilated input.
						pos := oIdx[d]*p.strides[d] + kIdx[d]*p.dilKer[d] - p.pads[d][0]
						if pos < 0 || pos%p.dilIn[d] != 0 || pos/p.dilIn[d] >= p.inSp[d] {
							inside = false
							break
						}
						xOff += pos / p.dilIn[d] * p.inStr[a.InputSpatial[d]]
						kOff += kIdx[d] * p.kerStr[a.KernelSpatial[d]]
					}
					if !inside {
						continue
					}
					for c := range p.cig {
						xv := x[xOff+(ciBase+c)*p.inStr[a.InputChannels]]
						kv := k[kOff+c*p.kerStr[a.KernelInputChannels]]
						sum += float64(xv) * float64(kv)
					}
				}
				off := b*p.outStr[a.OutputBatch] + o*p.outStr[a.OutputChannels]
				for d := range p.sp {
					off += oIdx[d] * p.outStr[a.OutputSpatial[d]]
				}
				out[off] = T(sum)
			}
		}
	}
}

// unflatten writes the row-major multi-index of flat index i over dims.
func unflatten(i int, dims, idx []int) {
	for d := len(dims) - 1; d >= 0; d-- {
		idx[d] = i % dims[d]
		i /= dims[d]
	}
}
