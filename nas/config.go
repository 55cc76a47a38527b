package nas

import (
	"errors"
	"fmt"
	"math"
)

// Order says which stages follow the depth and width stages.
type Order string

// The stage orders of the authors' code. OrderOpsKernels is the published run.
const (
	OrderOpsKernels Order = "ops-kernels" // operations, then kernels (published)
	OrderKernelsOps Order = "kernels-ops" // kernels, then operations
	OrderJoint      Order = "joint"       // per layer, every (kernel, op) pair together
)

// Config holds the settings of the staged search. Accuracies, tolerances and
// margins are percentage points. DefaultConfig reproduces the published run;
// ReleasedScriptConfig the authors' released script.
type Config struct {
	MinDepth  int `json:"min_depth"`
	MaxDepth  int `json:"max_depth"`
	MinWidth  int `json:"min_width"`
	MaxWidth  int `json:"max_width"`
	WidthStep int `json:"width_step"` // the log's width_resolution

	TargetAcc float64 `json:"target_acc"` // the depth stage stops once current >= TargetAcc - TargetTol
	TargetTol float64 `json:"target_tol"`

	DepthGain    float64 `json:"depth_gain"`     // a deeper network is accepted if >= current + DepthGain
	DepthTol     float64 `json:"depth_tol"`      // else the stage goes deeper while >= current - DepthTol
	WidthDropTol float64 `json:"width_drop_tol"` // a narrower network is accepted if >= depth-stage best - WidthDropTol

	OpMargin     float64 `json:"op_margin"`     // operation (and joint) candidates are accepted if > current + OpMargin
	KernelMargin float64 `json:"kernel_margin"` // kernel candidates are accepted if > current + KernelMargin

	// AllLayers searches operations and kernels on every layer; false (the
	// published run) searches the first 2L/3 layers only.
	AllLayers bool  `json:"all_layers"`
	Order     Order `json:"order"`

	// MaxParams, when > 0, is a parameter budget: the search never proposes
	// a candidate with more parameters (counted for InChannels and
	// Classes). A deeper network over budget ends the depth stage; an
	// operation or kernel over budget is skipped. 0 (the published run)
	// means no budget.
	MaxParams int `json:"max_params,omitempty"`

	// InChannels and Classes describe the data, for parameter counts.
	InChannels int `json:"in_channels"`
	Classes    int `json:"classes"`
}

// DefaultConfig returns the configuration of the published CIFAR-10 run.
func DefaultConfig() Config {
	return Config{
		MinDepth: 10, MaxDepth: 20, MinWidth: 16, MaxWidth: 72, WidthStep: 4,
		TargetAcc: 99.0, TargetTol: 0.5,
		DepthGain: 0.25, DepthTol: 0.15, WidthDropTol: 0.5,
		OpMargin: 0.10, KernelMargin: 0.10,
		Order:      OrderOpsKernels,
		InChannels: 3, Classes: 10,
	}
}

// ReleasedScriptConfig returns DefaultConfig changed to the behaviour of the
// authors' released script: operations and kernels searched on all layers,
// accepted on any improvement (no margins).
func ReleasedScriptConfig() Config {
	c := DefaultConfig()
	c.AllLayers = true
	c.OpMargin, c.KernelMargin = 0, 0
	return c
}

// Bounds of Config.Validate: far beyond any network the search could train,
// they keep a mistyped value from allocating without end.
const (
	MaxDepthLimit = 1000
	MaxWidthLimit = 1 << 16
)

// ErrInvalidConfig is wrapped by every error of Config.Validate.
var ErrInvalidConfig = errors.New("invalid search config")

// Validate rejects configurations the search cannot run, naming the field.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
	}
	finite := func(name string, v float64) error {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return bad("%s %g, must be a finite number", name, v)
		}
		return nil
	}
	switch {
	case c.MinDepth < 1:
		return bad("min_depth %d, must be >= 1", c.MinDepth)
	case c.MaxDepth < c.MinDepth:
		return bad("max_depth %d is below min_depth %d", c.MaxDepth, c.MinDepth)
	case c.MaxDepth > MaxDepthLimit:
		return bad("max_depth %d, must be <= %d", c.MaxDepth, MaxDepthLimit)
	case c.MinWidth < 1:
		return bad("min_width %d, must be >= 1", c.MinWidth)
	case c.MaxWidth < c.MinWidth:
		return bad("max_width %d is below min_width %d", c.MaxWidth, c.MinWidth)
	case c.MaxWidth > MaxWidthLimit:
		return bad("max_width %d, must be <= %d", c.MaxWidth, MaxWidthLimit)
	case c.WidthStep < 1:
		return bad("width_step %d, must be >= 1", c.WidthStep)
	case c.InChannels < 1:
		return bad("in_channels %d, must be >= 1", c.InChannels)
	case c.Classes < 2:
		return bad("classes %d, must be >= 2", c.Classes)
	case c.MaxParams < 0:
		return bad("max_params %d, must be >= 0 (0: no budget)", c.MaxParams)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"target_acc", c.TargetAcc}, {"target_tol", c.TargetTol}, {"depth_gain", c.DepthGain},
		{"depth_tol", c.DepthTol}, {"width_drop_tol", c.WidthDropTol},
		{"op_margin", c.OpMargin}, {"kernel_margin", c.KernelMargin},
	} {
		if err := finite(f.name, f.v); err != nil {
			return err
		}
		if f.v < 0 {
			return bad("%s %g, must be >= 0", f.name, f.v)
		}
	}
	if c.TargetAcc > 100 {
		return bad("target_acc %g, must be <= 100 (a percentage)", c.TargetAcc)
	}
	switch c.Order {
	case OrderOpsKernels, OrderKernelsOps, OrderJoint:
	default:
		return bad("order %q, must be %q, %q or %q", c.Order, OrderOpsKernels, OrderKernelsOps, OrderJoint)
	}
	return nil
}

// Stages lists the stages the configuration runs, in order.
func (c Config) Stages() []Stage {
	switch c.Order {
	case OrderKernelsOps:
		return []Stage{StageDepth, StageWidth, StageKernel, StageOperation}
	case OrderJoint:
		return []Stage{StageDepth, StageWidth, StageJoint}
	}
	return []Stage{StageDepth, StageWidth, StageOperation, StageKernel}
}

// fits reports whether a is within the parameter budget.
func (c Config) fits(a Arch) bool {
	return c.MaxParams <= 0 || a.Params(c.InChannels, c.Classes) <= c.MaxParams
}

// searchedLayers is how many leading layers of a depth-L network the
// operation and kernel stages visit.
func (c Config) searchedLayers(L int) int {
	if c.AllLayers {
		return L
	}
	return 2 * L / 3
}
