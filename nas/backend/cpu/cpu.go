package cpu

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"

	"github.com/trgnas/trgnas/nas/backend/cpu/internal/isa"
)

// Name is the name the backend is registered under with compute (usable in
// GOMLX_BACKEND, e.g. "gofill" or "gofill:ops_sequential") and recorded in
// results; ledgers have carried it since their first version.
const Name = "gofill"

func init() {
	compute.Register(Name, New)
}

// New returns upstream's Go backend (compute/gobackend) with the project's
// kernels cut into its graphs (see the package documentation). config is a
// comma-separated list of options: the package's own (OptionNoConvKernels,
// OptionConvFallback, OptionNoFold, OptionNoBatchNorm, OptionNoFastKernels,
// OptionNoFuse, OptionFastKernelMin, "parallelism=N") and the Go backend's,
// which are passed on (e.g. "ops_sequential"); "" is the default.
//
// "parallelism=N" sets the number of workers of the project's kernels
// (default: the number of CPUs). It is not passed on: the Go backend
// announces its own setting on standard output, which would corrupt the
// JSON output of the commands; its ops keep their default.
func New(config string) (compute.Backend, error) {
	b := &backend{convKernels: true, workers: runtime.NumCPU(), fastKernels: true, fastMin: DefaultFastKernelMin}
	var rest []string
	for _, opt := range strings.Split(config, ",") {
		key, value, _ := strings.Cut(opt, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch key {
		case OptionNoConvKernels:
			b.convKernels = false
		case OptionConvFallback:
			b.convFallback = true
		case OptionNoFold:
			b.noFold = true
		case OptionNoBatchNorm:
			b.noBatchNorm = true
		case OptionNoFastKernels:
			b.fastKernels = false
		case OptionNoFuse:
			b.noFuse = true
		case OptionFastKernelMin:
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s: config %q: %s=%q is not a non-negative integer", Name, config, key, value)
			}
			b.fastMin = n
		case "parallelism":
			n, err := strconv.Atoi(value)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%s: config %q: parallelism=%q is not a non-negative integer", Name, config, value)
			}
			if n > 0 {
				b.workers = n
			}
		default:
			rest = append(rest, opt)
		}
	}
	inner, err := gobackend.New(strings.Join(rest, ","))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", Name, err)
	}
	if b.outs, err = newOutPool(inner); err != nil {
		inner.Finalize()
		return nil, err
	}
	b.Backend = inner
	return b, nil
}

// Options of this backend, given in its config next to the Go backend's
// (e.g. "gofill:noconvkernels" or "go:ops_sequential,convfallback").
const (
	// OptionNoConvKernels switches the interception of ConvGeneral off:
	// convolutions run inside the Go backend's sub-graphs, as the Go backend's own op.
	OptionNoConvKernels = "noconvkernels"
	// OptionConvFallback keeps the interception (the graph is cut at each
	// float ConvGeneral) but runs each convolution as a one-op Go backend
	// executable instead of the project's kernels.
	OptionConvFallback = "convfallback"
	// OptionNoFold switches the builder's folds off (Identity, x - x,
	// adding zero, slicing a Concatenate back into an operand; see
	// fold.go): every op is built as asked.
	OptionNoFold = "nofold"
	// OptionNoBatchNorm leaves the batch normalization ops out of the
	// capabilities, so that graph code that checks them (nas/layers)
	// builds batch normalization from plain ops.
	OptionNoBatchNorm = "nobatchnorm"
	// OptionNoFastKernels switches the interception of BroadcastInDim,
	// ReduceSum, Sign and ConvertDType from Bool off: they run inside
	// the Go backend's sub-graphs.
	OptionNoFastKernels = "nofastkernels"
	// OptionNoFuse switches off the fusion of BatchNormForInference (and
	// a Max with a constant after it, a ReLU) into the convolution whose
	// output it normalizes, and of a depthwise convolution into the
	// pointwise one that reads its output (see fuse.go): each op is a
	// step of its own.
	OptionNoFuse = "nofuse"
	// OptionFastKernelMin, given as "fastkernelmin=N", sets the number of
	// elements (broadcast output, other ops' input) from which these ops
	// are intercepted (default DefaultFastKernelMin).
	OptionFastKernelMin = "fastkernelmin"
)

// DefaultFastKernelMin is the default of OptionFastKernelMin.
const DefaultFastKernelMin = 4096

// backend wraps the Go backend: everything but Builder, names and
// capabilities is delegated to it.
type backend struct {
	compute.Backend
	convKernels  bool // intercept float ConvGeneral as kernel steps
	convFallback bool // run kernel steps as one-op Go backend executables
	workers      int  // parallelism of the kernels
	noFold       bool // build every op as asked (no folds)
	noBatchNorm  bool // do not list the batch normalization ops as capabilities
	fastKernels  bool // intercept large BroadcastInDim, ReduceSum, Sign, ConvertDType
	fastMin      int  // elements from which they are intercepted
	noFuse       bool // no convolution epilogues (fuse.go)
	outs         *outPool
}

// Name implements compute.Backend.
func (b *backend) Name() string { return "Go backend with the project's kernels (" + Name + ")" }

// String implements compute.Backend.
func (b *backend) String() string { return Name }

// Description implements compute.Backend.
func (b *backend) Description() string {
	d := b.Backend.Description() + ", with batch normalization and the project's kernels (" + isa.Path() + ")"
	switch {
	case !b.convKernels:
	case b.convFallback:
		d += ", convolutions as separate Go backend steps"
	default:
		d += ", convolutions cut out of the graph"
	}
	return d
}

// Capabilities implements compute.Backend: the Go backend's plus the three
// batch normalization ops (unless OptionNoBatchNorm), without sub-functions
// (closures, While, If, Sort, Call) and dynamic axes, which a graph cut into
// segments does not carry across its cuts.
func (b *backend) Capabilities() compute.Capabilities {
	c := b.Backend.Capabilities().Clone()
	c.Functions = false
	c.DynamicAxes = false
	for _, op := range []compute.OpType{compute.OpTypeCall, compute.OpTypeSort, compute.OpTypeWhile, compute.OpTypeIf} {
		delete(c.Operations, op)
	}
	if !b.noBatchNorm {
		c.Operations[compute.OpTypeBatchNormForTraining] = true
		c.Operations[compute.OpTypeBatchNormGradient] = true
		c.Operations[compute.OpTypeBatchNormForInference] = true
	}
	return c
}

// Builder implements compute.Backend: a segmenting builder over the Go
// backend's (see the package documentation).
func (b *backend) Builder(name string) compute.Builder {
	bb := &builder{be: b, name: name}
	bb.main = &function{bb}
	return bb
}
