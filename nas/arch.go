// Package nas holds the TRG-NAS search space (Arch), its parameter and
// multiply-accumulate counts, the staged search, the lines of its ledger
// and the final step's record. The search is a state machine that does no
// I/O: package nas/runner runs it and journals it to a ledger file (package
// nas/ledger), and training lives in nas/train, so that readers of records
// (plots, the Slurm evaluator) link neither file locks nor GoMLX.
package nas

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Operation codes of a NetworkMix layer, as the published log writes them.
const (
	OpSepConv = 0 // ReLU, depthwise k x k, pointwise 1x1, BatchNorm.
	OpConv    = 1 // ReLU, k x k convolution, BatchNorm.
)

// Kernels lists the kernel sizes of the search space.
var validKernels = [...]int{3, 5, 7}

// ErrInvalidArch is wrapped by every error of Arch.Validate.
var ErrInvalidArch = errors.New("invalid architecture")

// Arch is one NetworkMix candidate: the base width C and, per layer, the
// operation (OpSepConv or OpConv) and the kernel size (3, 5 or 7). The depth
// is len(Ops).
type Arch struct {
	Width   int   `json:"width"`
	Ops     []int `json:"ops"`
	Kernels []int `json:"kernels"`
}

// Depth is the number of layers (stem and head not counted).
func (a Arch) Depth() int { return len(a.Ops) }

// Uniform returns a network of the given width and depth whose layers all
// use op with kernel k.
func Uniform(width, depth, op, k int) Arch {
	a := Arch{Width: width, Ops: make([]int, depth), Kernels: make([]int, depth)}
	for i := range a.Ops {
		a.Ops[i], a.Kernels[i] = op, k
	}
	return a
}

// Clone returns a deep copy.
func (a Arch) Clone() Arch {
	return Arch{Width: a.Width, Ops: append([]int(nil), a.Ops...), Kernels: append([]int(nil), a.Kernels...)}
}

// Equal reports whether two architectures are the same network.
func (a Arch) Equal(b Arch) bool { return a.Key() == b.Key() }

// Validate checks width, depth, operations and kernel sizes. Errors wrap
// ErrInvalidArch and name the offending field.
func (a Arch) Validate() error {
	if a.Width < 1 {
		return fmt.Errorf("%w: width %d, must be >= 1", ErrInvalidArch, a.Width)
	}
	if len(a.Ops) < 1 {
		return fmt.Errorf("%w: depth 0 (ops is empty), must be >= 1", ErrInvalidArch)
	}
	if len(a.Kernels) != len(a.Ops) {
		return fmt.Errorf("%w: %d ops but %d kernels", ErrInvalidArch, len(a.Ops), len(a.Kernels))
	}
	for i, op := range a.Ops {
		if op != OpSepConv && op != OpConv {
			return fmt.Errorf("%w: ops[%d] = %d, must be 0 (SepConv) or 1 (Conv)", ErrInvalidArch, i, op)
		}
	}
	for i, k := range a.Kernels {
		ok := false
		for _, v := range validKernels {
			ok = ok || k == v
		}
		if !ok {
			return fmt.Errorf("%w: kernels[%d] = %d, must be 3, 5 or 7", ErrInvalidArch, i, k)
		}
	}
	return nil
}

// Key is a stable identifier of the network, e.g. "w56-o1010000000000000-k3333333333333333".
// Kernels are written as single digits (3, 5 or 7).
func (a Arch) Key() string {
	var b strings.Builder
	b.WriteString("w")
	b.WriteString(strconv.Itoa(a.Width))
	b.WriteString("-o")
	for _, op := range a.Ops {
		b.WriteString(strconv.Itoa(op))
	}
	b.WriteString("-k")
	for _, k := range a.Kernels {
		b.WriteString(strconv.Itoa(k))
	}
	return b.String()
}

// ParseKey is the inverse of Key. The result is validated.
func ParseKey(key string) (Arch, error) {
	parts := strings.Split(key, "-")
	if len(parts) != 3 || !strings.HasPrefix(parts[0], "w") || !strings.HasPrefix(parts[1], "o") || !strings.HasPrefix(parts[2], "k") {
		return Arch{}, fmt.Errorf("%w: key %q is not of the form w<width>-o<ops>-k<kernels>", ErrInvalidArch, key)
	}
	w, err := strconv.Atoi(parts[0][1:])
	if err != nil {
		return Arch{}, fmt.Errorf("%w: key %q: width: %v", ErrInvalidArch, key, err)
	}
	a := Arch{Width: w}
	for _, c := range parts[1][1:] {
		a.Ops = append(a.Ops, int(c-'0'))
	}
	for _, c := range parts[2][1:] {
		a.Kernels = append(a.Kernels, int(c-'0'))
	}
	if err := a.Validate(); err != nil {
		return Arch{}, fmt.Errorf("key %q: %w", key, err)
	}
	return a, nil
}

// String is a one-line human form: "depth 16 width 56 ops [1 0 1 ...] kernels [3 3 ...]".
func (a Arch) String() string {
	return fmt.Sprintf("depth %d width %d ops %s kernels %s", a.Depth(), a.Width, intList(a.Ops), intList(a.Kernels))
}

func intList(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// MarshalJSON writes ops and kernels as arrays even when empty.
func (a Arch) MarshalJSON() ([]byte, error) {
	type plain struct {
		Width   int   `json:"width"`
		Ops     []int `json:"ops"`
		Kernels []int `json:"kernels"`
	}
	p := plain{a.Width, a.Ops, a.Kernels}
	if p.Ops == nil {
		p.Ops = []int{}
	}
	if p.Kernels == nil {
		p.Kernels = []int{}
	}
	return json.Marshal(p)
}

// Layer is one layer of the network as built: input and output channels and
// stride, with the operation and kernel of the Arch.
type Layer struct {
	Op, Kernel, In, Out, Stride int
}

// StemChannels is the output width of the stem convolution (2C).
func (a Arch) StemChannels() int { return 2 * a.Width }

// Layers expands the Arch into its layers. At i == L/3 and i == 2L/3
// (integer division) the channels double and the stride is 2; when the two
// indices coincide the layer doubles once.
func (a Arch) Layers() []Layer {
	L := a.Depth()
	prev, cur := a.StemChannels(), a.Width
	out := make([]Layer, L)
	for i := 0; i < L; i++ {
		stride := 1
		if i == L/3 || i == 2*L/3 {
			cur *= 2
			stride = 2
		}
		out[i] = Layer{Op: a.Ops[i], Kernel: a.Kernels[i], In: prev, Out: cur, Stride: stride}
		prev = cur
	}
	return out
}

// FinalChannels is the number of channels entering the classifier.
func (a Arch) FinalChannels() int {
	ls := a.Layers()
	if len(ls) == 0 {
		return a.StemChannels()
	}
	return ls[len(ls)-1].Out
}

// Downsamples is the number of stride-2 layers (1 or 2).
func (a Arch) Downsamples() int {
	n := 0
	for _, l := range a.Layers() {
		if l.Stride == 2 {
			n++
		}
	}
	return n
}

// Params counts the trainable parameters for inCh input channels and the
// given number of classes: convolution weights, BatchNorm scale and offset,
// classifier weights and bias. BatchNorm running statistics are not counted.
// The published log's "Model Parameters = x MB" is this count in millions.
func (a Arch) Params(inCh, classes int) int {
	stem := a.StemChannels()
	n := 9*inCh*stem + 2*stem
	for _, l := range a.Layers() {
		kk := l.Kernel * l.Kernel
		if l.Op == OpSepConv {
			n += kk*l.In + l.In*l.Out
		} else {
			n += kk * l.In * l.Out
		}
		n += 2 * l.Out
	}
	return n + a.FinalChannels()*classes + classes
}

// ConvOut is the output size of a "same"-padded convolution (pad k/2, odd k).
func ConvOut(n, stride int) int { return (n-1)/stride + 1 }

// MACs counts multiply-accumulates of one forward pass of one h x w x inCh
// image: convolutions (depthwise and pointwise included) and the classifier.
// BatchNorm, ReLU and pooling are not counted.
func (a Arch) MACs(h, w, inCh, classes int) int64 {
	stem := int64(a.StemChannels())
	m := int64(h) * int64(w) * 9 * int64(inCh) * stem
	for _, l := range a.Layers() {
		h, w = ConvOut(h, l.Stride), ConvOut(w, l.Stride)
		hw, kk := int64(h)*int64(w), int64(l.Kernel*l.Kernel)
		if l.Op == OpSepConv {
			m += hw * (kk*int64(l.In) + int64(l.In)*int64(l.Out))
		} else {
			m += hw * kk * int64(l.In) * int64(l.Out)
		}
	}
	return m + int64(a.FinalChannels())*int64(classes)
}
