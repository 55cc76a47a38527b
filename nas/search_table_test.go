package nas_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas"
)

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 12: "12", 999: "999", 1000: "1,000", 453498: "453,498", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := nas.Thousands(n); got != want {
			t.Errorf("Thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	s, _ := nas.NewSearch(smallConfig())
	var b bytes.Buffer
	if err := s.WriteTable(&b); err != nil || !strings.Contains(b.String(), "no candidate evaluated yet") || !strings.Contains(b.String(), "next: depth candidate w16-o000-k333") {
		t.Fatalf("empty search: %v\n%s", err, b.String())
	}
	f := newScoreEval(50, longScores())
	ctx := context.Background()
	step(ctx, s, f)
	step(ctx, s, f)
	s.Override(true, "mine")
	b.Reset()
	s.WriteTable(&b)
	out := b.String()
	lines := strings.Split(out, "\n")
	if lines[1] != "depth stage" || !strings.HasPrefix(strings.TrimSpace(lines[2]), "seq  depth  width   ops  kernels  params  train  valid  decision") {
		t.Errorf("header %q", lines[2])
	}
	if !strings.Contains(lines[4], "0000") || !strings.Contains(lines[4], "90.10  * accepted by override") || !strings.Contains(lines[4], "10,394") {
		t.Errorf("overridden row %q", lines[4])
	}
	if !strings.Contains(out, "best so far (search in the depth stage): depth 4 width 16") || !strings.Contains(out, "next: depth candidate w16-o00000-k33333") {
		t.Errorf("footer:\n%s", out)
	}
	run(ctx, s, f)
	b.Reset()
	s.WriteTable(&b)
	out = b.String()
	for _, want := range []string{"\nwidth stage\n", "\noperation stage\n", "\nkernel stage\n", "-> kernel stage ends", "final: depth"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "next:") {
		t.Error("finished search has a next candidate")
	}
}
