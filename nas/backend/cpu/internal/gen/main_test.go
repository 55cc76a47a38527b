package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestGenOpsUpToDate fails when nas/backend/cpu/gen_ops.go is not what the
// generator makes from the GoMLX module in use: run go generate in nas/backend/cpu.
func TestGenOpsUpToDate(t *testing.T) {
	src, err := StandardOpsPath()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Generate(data, src)
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
		name, src string
		want      []string // substrings of the output
		err       string
	}{
		{
			name: "ops, slices and variadics",
			src: `package backends
type StandardOps interface {
	// Div divides.
	Div(lhs, rhs Op) (Op, error)
	Stack(axis int, operands ...Op) (Op, error)
	DynamicSlice(operand Op, startIndices []Op, sliceDims []int) (Op, error)
	Two(x Op, p PadAxis) (a, b Op, err error)
	Pad(x, fillValue Op, axesConfig ...PadAxis) (Op, error)
}`,
			want: []string{
				"func (b *builder) Div(lhs backends.Op, rhs backends.Op) (backends.Op, error) {",
				"if operands, err = s.useAll(operands); err != nil {",
				"r0, err := s.b.Stack(axis, operands...)",
				"if startIndices, err = s.useAll(startIndices); err != nil {",
				"func (b *builder) Two(x backends.Op, p backends.PadAxis) (backends.Op, backends.Op, error) {",
				"return s.def(r0), s.def(r1), nil",
			},
		},
		{name: "no interface", src: "package backends\n", err: "StandardOps not found"},
		{name: "no error result", src: "package backends\ntype StandardOps interface { F(x Op) Op }", err: "want one or more backends.Op and an error"},
		{name: "syntax error", src: "package backends\ntype StandardOps interface {", err: "expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Generate([]byte(tt.src), "x.go")
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
			if strings.Contains(string(got), "func (b *builder) Pad(") {
				t.Error("hand-written Pad was generated")
			}
		})
	}
}
