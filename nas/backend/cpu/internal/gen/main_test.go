package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestGenOpsUpToDate fails when nas/backend/cpu/gen_ops.go is not what the
// generator makes from the compute module in use: run go generate in
// nas/backend/cpu.
func TestGenOpsUpToDate(t *testing.T) {
	srcs, err := Sources()
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(srcs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../gen_ops.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("nas/backend/cpu/gen_ops.go is stale: run `go generate` in nas/backend/cpu")
	}
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		name, iface, src string
		want             []string // substrings of the output
		err              string
	}{
		{
			name:  "values, slices and variadics",
			iface: "StandardOps",
			src: `package compute
type StandardOps interface {
	// Div divides.
	Div(lhs, rhs Value) (Value, error)
	Stack(axis int, operands ...Value) (Value, error)
	DynamicSlice(operand Value, startIndices []Value, sliceDims []int) (Value, error)
	Two(x Value, p PadAxis) (a, b Value, err error)
	Barrier(operands ...Value) ([]Value, error)
	ConvGeneral(x, k Value) (Value, error)
}`,
			want: []string{
				"func (b *builder) Div(lhs compute.Value, rhs compute.Value) (compute.Value, error) {",
				"if operands, err = s.useAll(operands); err != nil {",
				"r0, err := s.fn.Stack(axis, operands...)",
				"if startIndices, err = s.useAll(startIndices); err != nil {",
				"func (b *builder) Two(x compute.Value, p compute.PadAxis) (compute.Value, compute.Value, error) {",
				"return s.def(r0), s.def(r1), nil",
				"func (b *builder) Barrier(operands ...compute.Value) ([]compute.Value, error) {",
				"return s.defAll(r0), nil",
				"// Div implements compute.StandardOps",
			},
		},
		{
			name:  "fused ops",
			iface: "FusedOps",
			src: `package compute
type FusedOps interface {
	FusedAttention(q, k Value, o *AttentionConfig) (output Value, states []Value, err error)
}`,
			want: []string{
				"func (b *builder) FusedAttention(q compute.Value, k compute.Value, o *compute.AttentionConfig) (compute.Value, []compute.Value, error) {",
				"return s.def(r0), s.defAll(r1), nil",
				"// FusedAttention implements compute.FusedOps",
			},
		},
		{name: "no interface", iface: "StandardOps", src: "package compute\n", err: "StandardOps not found"},
		{name: "no error result", iface: "StandardOps", src: "package compute\ntype StandardOps interface { F(x Value) Value }", err: "want one or more compute.Value and an error"},
		{name: "other result", iface: "StandardOps", src: "package compute\ntype StandardOps interface { F(x Value) (int, error) }", err: "result of type int is not supported"},
		{name: "syntax error", iface: "StandardOps", src: "package compute\ntype StandardOps interface {", err: "expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Generate([]Source{{Name: "x.go", Interface: tt.iface, Data: []byte(tt.src)}})
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(got), w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(string(got), "func (b *builder) ConvGeneral(") {
				t.Error("hand-written ConvGeneral was generated")
			}
		})
	}
}
