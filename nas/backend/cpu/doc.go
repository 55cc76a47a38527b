// Package gofill holds the gap fills for GoMLX v0.26.0's pure-Go backend
// (SimpleGo, "go") that training a NetworkMix candidate needs, and the
// project's single way to get a backend (Backend). Everything here but
// Backend and BackendName is deletable after a GoMLX upgrade that closes the
// gaps.
//
// The filled backend is SimpleGo wrapped by a segmenting builder: a graph is
// built as a sequence of SimpleGo sub-graphs ("segments") separated by ops
// that gofill runs itself in Go ("kernel steps"). Every op but the
// intercepted ones goes to the current segment's SimpleGo builder (the
// forwarding methods are generated from GoMLX's backends.StandardOps into
// gen_ops.go by internal/gen: run go generate after a GoMLX upgrade; a test
// fails when the file is stale). A value of an earlier step used in a
// segment becomes a Parameter of that segment. Compile makes each
// segment's outputs the values used later and compiles each segment with
// SimpleGo; Execute runs the steps in order, passing SimpleGo buffers
// between them without copies, and donates or releases each intermediate
// buffer at its last use. The backend is registered with GoMLX as
// "gofill", and Backend("go") returns it too.
//
// # Convolutions
//
// A ConvGeneral of float32 or float64 operands is a kernel step: conv.Run
// (package nas/backend/cpu/conv) computes it on the flat data of the SimpleGo
// buffers into a new SimpleGo buffer, with as many workers as SimpleGo's
// parallelism. A configuration conv does not take (e.g. negative padding)
// runs as a one-op SimpleGo executable instead. Other dtypes stay inside
// the segment as SimpleGo's op. Two config options (next to SimpleGo's,
// comma separated, e.g. "gofill:noconvkernels" or "go:parallelism=2,convfallback"):
//
//   - "noconvkernels" (OptionNoConvKernels): no interception; convolutions
//     run inside the segments as SimpleGo's op (with "nofastkernels" too, the
//     graph is one segment).
//   - "convfallback" (OptionConvFallback): cut the graph at each
//     convolution but run each as a one-op SimpleGo executable.
//
// # Batch normalization
//
// XLA's BatchNormForTraining, BatchNormGradient and BatchNormForInference
// (float32 and float64, any feature axis), which SimpleGo v0.26.0 lacks,
// are steps like the convolutions, run by package nas/backend/cpu/norm: two
// passes over the data forward, two for the gradient, both cores. Option
// "nobatchnorm" (OptionNoBatchNorm) leaves them out of the capabilities, so
// that graph code that checks them builds batch normalization from plain
// ops.
//
// The capabilities are SimpleGo's plus Pad, Reverse and the batch
// normalization ops.
//
// # Folds
//
// The builder answers some ops with a value it already has (fold.go):
// Identity(x) is x; x - x is a zero value, and adding it (or subtracting
// it) changes nothing; a Slice of all of x is x; a unit-stride Slice that
// takes exactly one operand of a Concatenate (or undoes a Pad) is that
// operand. These remove, before
// SimpleGo sees them, the copies that graph-level custom gradients
// (package nas/layers) leave in a training graph. x - x counts as zero even
// where x is infinite or NaN. Option "nofold" (OptionNoFold) builds every
// op as asked.
//
// # Broadcasts, sums, signs, masks, products and maxima
//
// SimpleGo runs BroadcastInDim and ReduceSum with a generic per-element
// index iterator, Sign and ConvertDType from Bool with a branch per
// value that mispredicts on mixed signs and masks, and every element-wise
// op on one core. These (and Mul and Max, the ReLU's ops) are kernel steps
// run by package nas/backend/cpu/fast when their operands are float32 or
// float64 and at least DefaultFastKernelMin elements (broadcast output,
// other ops' input): a BroadcastInDim of more than one value with strictly
// increasing axes (SimpleGo fills from a single value quickly), a
// ReduceSum over unique axes, Sign (with SimpleGo's semantics: 0 for NaN
// and both zeros), ConvertDType of a Bool tensor to a float, and Mul and
// Max of operands of one shape or with a scalar (Go's max: NaN wins, +0
// over -0). A one-element Constant operand is taken as a value, so it does
// not tie the step to the segment that holds it. A Mul of a value and a
// Sign step's output (the ReLU's gradient) is one pass over the value and
// the Sign's input; the Sign step then runs only if something else uses
// it. They merge axes and run copies, fills, row sums,
// run sums and branch-free selects, with the same bits for any
// parallelism. Other dtypes, smaller tensors and unusual axes stay in the
// segment as SimpleGo's op. A step whose inputs the open segment does not
// define (e.g. a broadcast of a parameter, a sum of a convolution's
// output) is placed before that segment, which stays open, so only steps
// that depend on the open segment cut the graph. Options:
//
//   - "nofastkernels" (OptionNoFastKernels): none of these interceptions.
//   - "fastkernelmin=N" (OptionFastKernelMin): intercept from N elements
//     on (0: all of them).
//
// # Gaps and their fills
//
//   - Pad is not implemented (every convolution gradient, and the gradients
//     of Slice and of pooling, need it). Filled in builder.Pad from
//     Reshape, Concatenate, BroadcastInDim and Slice, with XLA's semantics:
//     interior, start and end padding, negative start/end crop. Delete when
//     simplego's Capabilities list backends.OpTypePad.
//
//   - Reverse is not implemented (convolution gradients reverse the kernel).
//     Filled in builder.Reverse with one Gather per reversed axis. Delete when
//     simplego's Capabilities list backends.OpTypeReverse.
//
//   - ConvGeneral with nil (or zero) strides or dilations turns them into 0
//     and fails ("stride[0]=0 must be >= 1", index out of range in the
//     grouped path). Filled in builder.ConvGeneral, which sets them (and
//     group counts) to 1 and nil paddings to zero.
//     Delete when simplego's ConvGeneral defaults them itself (check
//     TestConvGeneralDefaults against plain simplego).
//
//   - ConvGeneral with BatchGroupCount > 1 gives wrong results (SimpleGo
//     pairs output feature o with input batch group o/BatchGroupCount, not
//     o/(features per group), and takes the output batch size from the
//     wrong axis). Filled in simpleGoConv, which rewrites it as the
//     channel-grouped convolution it equals (a transpose and reshapes of
//     the input) wherever SimpleGo runs it. Delete when
//     TestBatchGroupsSimpleGo logs that plain SimpleGo gets it right.
//
//   - A SimpleGo executable panics (index out of range) when one of its
//     Parameters was made after the op of its last output: it sizes its
//     tables by the last output. A segment can import a value only for
//     ops nothing uses (or folded away); Compile then gives it a scalar
//     constant as a last, dropped output (segment.lastIn, sentinel).
//     Delete when TestSegmentsMatchSimpleGo's "unused late import" passes
//     without it.
//
//   - The SimpleGo option "parallelism=1" deadlocks. New refuses it with an
//     error. Delete when a graph runs under "go:parallelism=1".
//
// Gaps handled elsewhere, in package nas/layers, because they are about the
// graph and not the backend: no gradient for Rsqrt (layers use 1/Sqrt); the
// gradient of Dot/DotGeneral materialising a full [i,j,k] tensor (layers.Dot
// carries its own two-DotGeneral gradient; layers.Conv2D and
// DepthwiseConv2D their own ConvGeneral gradients); the cost of the
// gradient of Max(x, 0) (layers.ReLU); the wrong kernel shape of grouped
// convolutions in GoMLX's convolution layer (layers.DepthwiseConv2D).
//
// # Getting a backend
//
// Backend("") reads $GOMLX_BACKEND and falls back to "go". "go", "go:<cfg>",
// "gofill" and "gofill:<cfg>" give the filled pure-Go backend (<cfg> goes to
// SimpleGo, e.g. "ops_sequential"); anything else goes to GoMLX's
// backends.NewWithConfig, e.g. "xla:cuda" or
// "xla:/abs/path/pjrt_c_api_cuda_plugin.so".
//
// Nothing is ever downloaded: for XLA, Backend switches GoMLX's plugin
// auto-installation off (xla.EnableAutoInstall(false), the same as
// GOMLX_NO_AUTO_INSTALL) before creating it. To install plugins on purpose
// call GoMLX's xla.AutoInstall yourself, or name the plugin file by absolute
// path, or put it where go-xla searches (PJRT_PLUGIN_LIBRARY_PATH,
// ~/.local/lib/go-xla, /usr/local/lib/go-xla). The plugin is needed only at
// run time, but the XLA backend package needs cgo to build: binaries built
// with CGO_ENABLED=0 or the "noxla" build tag leave it out, and Backend then
// returns an error for XLA specs. For CUDA, Backend also keeps go-xla
// v0.1.4 from writing its author's CUDA directory into XLA_FLAGS (it sets
// GOPJRT_CUDA_CHECKS=0 unless XLA_FLAGS names --xla_gpu_cuda_data_dir or
// GOPJRT_CUDA_CHECKS is set): set XLA_FLAGS yourself where XLA needs it.
package cpu
