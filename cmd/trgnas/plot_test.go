package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPlotCommand(t *testing.T) {
	fixture := filepath.Join("..", "..", "plots", "testdata")
	dir := filepath.Join(t.TempDir(), "plots")
	var stdout, stderr bytes.Buffer
	code := run([]string{"plot", "--ledger", filepath.Join(fixture, "searchlog.jsonl"), "--out", dir,
		"--compare", filepath.Join(fixture, "searchlog-e31.jsonl"), "--title", "Published search"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr.String())
	}
	for _, name := range []string{"ranking", "tradeoff-params", "tradeoff-macs", "trajectory", "curves", "agreement"} {
		for _, ext := range []string{".png", ".svg"} {
			p := filepath.Join(dir, name+ext)
			if fi, err := os.Stat(p); err != nil || fi.Size() < 1000 {
				t.Errorf("%s: %v", p, err)
			}
			if !strings.Contains(stdout.String(), p+"\n") {
				t.Errorf("stdout does not list %s", p)
			}
		}
	}
	if !strings.Contains(stdout.String(), "46 candidates matched by key (0 in one ledger only), Kendall tau-b -0.0448, Spearman rho -0.0745") {
		t.Errorf("stdout lacks the rank agreement:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "skipped loss:") {
		t.Errorf("stderr does not say the loss plot was skipped:\n%s", stderr.String())
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "trajectory.svg"))
	if !strings.Contains(string(svg), "Published search") {
		t.Error("--title not in trajectory.svg")
	}
}

func TestPlotCommandErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, nil, 0o644)
	good := filepath.Join("..", "..", "plots", "testdata", "searchlog.jsonl")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--out", dir}, "--ledger is required"},
		{[]string{"--ledger", good}, "--out is required"},
		{[]string{"--ledger", filepath.Join(dir, "missing.jsonl"), "--out", dir}, "missing.jsonl"},
		{[]string{"--ledger", empty, "--out", dir}, "empty.jsonl: no candidate records"},
		{[]string{"--ledger", good, "--out", dir, "--final", "w9-o0-k3"}, `Options.Final "w9-o0-k3"`},
		{[]string{"--ledger", good, "--out", dir, "--width", "-1"}, "--width -1"},
		{[]string{"--ledger", good, "--out", dir, "extra"}, `unexpected argument "extra"`},
	}
	for _, tc := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"plot"}, tc.args...), &stdout, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want an error mentioning %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// A corrupt line is reported with its file and line, and the rest drawn.
func TestPlotCommandCorruptLine(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "plots", "testdata", "searchlog.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	lines[2] = "{\"seq\": 2, not json\n"
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(strings.Join(lines, "")), 0o644)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"plot", "--ledger", bad, "--out", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "bad.jsonl:3") {
		t.Errorf("stderr does not name the corrupt line:\n%s", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "ranking.png")); err != nil {
		t.Error(err)
	}
}

// The published log, replayed into a ledger, plots end to end.
func TestPlotReplayedLog(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger.jsonl")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"replay", "--log", filepath.Join("..", "..", "nas", "testdata", "trgnas-cifar10-searchlog.txt"), "--ledger", ledger}, &stdout, &stderr); code != 0 {
		t.Fatalf("replay: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	out := filepath.Join(dir, "plots")
	if code := run([]string{"plot", "--ledger", ledger, "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr.String())
	}
	for _, name := range []string{"ranking", "tradeoff-params", "trajectory", "curves"} {
		if _, err := os.Stat(filepath.Join(out, name+".png")); err != nil {
			t.Error(err)
		}
	}
	if strings.Contains(stderr.String(), "warning") {
		t.Errorf("warnings on a fresh ledger:\n%s", stderr.String())
	}
	t.Logf("stderr:\n%s", stderr.String())
}
