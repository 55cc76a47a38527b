package runner_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
)

// FuzzLedger checks that no ledger content makes reading, opening or
// resuming panic, and that opening never loses a readable record.
func FuzzLedger(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "seed.jsonl")
	l, err := ledger.Open(path, testHeader(smallConfig()))
	if err != nil {
		f.Fatal(err)
	}
	s, _ := runner.New(smallConfig(), l)
	ctx := context.Background()
	ev := newScoreEval(50, longScores())
	s.Step(ctx, ev)
	s.Step(ctx, ev)
	s.Override(true, "x")
	s.Start(nas.StageKernel, nas.Uniform(8, 3, 1, 5))
	s.Step(ctx, ev)
	l.Close()
	seed, _ := os.ReadFile(path)
	f.Add(seed)
	f.Add(seed[:len(seed)/2])
	// Real ledgers of the notebooks' runs: their header and first records,
	// whole and cut inside a record.
	ledgers, _ := filepath.Glob("../../notebooks/results/*.jsonl")
	if len(ledgers) == 0 {
		f.Fatal("no ledgers in ../../notebooks/results")
	}
	for _, p := range ledgers {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		lines := bytes.SplitAfter(b, []byte("\n"))
		head := bytes.Join(lines[:min(3, len(lines))], nil)
		f.Add(head)
		f.Add(head[:len(head)-len(head)/5])
		// With the last record too: a final record where the run made one.
		last := bytes.TrimSpace(b)
		last = last[bytes.LastIndexByte(last, '\n')+1:]
		f.Add(append(append(head[:len(head):len(head)], last...), '\n'))
	}
	f.Add([]byte("{}\n{\"event\":\"override\",\"seq\":-4}\n{\"key\":\"w1-o0-k3\"}\n"))
	f.Add(append(seed, []byte(`{"event":"final","role":"found","result":{"arch":{"width":8,"ops":[0],"kernels":[3]},"test_acc":91.5}}`+"\n")...))
	f.Add(append(seed, []byte(`{"event":"final","result":{"arch":{"width":0}}}`+"\n")...))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "l.jsonl")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		recs, _, err := ledger.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		if lf, _, err := ledger.ReadFile(p); err == nil {
			nas.FoundArch(lf)
			for _, fr := range lf.Finals() {
				if err := fr.Arch().Validate(); err != nil {
					t.Fatalf("final record with an invalid network read: %v", err)
				}
			}
		}
		l, err := ledger.Open(p, testHeader(smallConfig()))
		if err != nil {
			return
		}
		defer l.Close()
		if _, err := runner.New(smallConfig(), l); err != nil {
			return
		}
		after, _, err := ledger.Read(p)
		if err != nil || len(after) < len(recs) {
			t.Fatalf("opening lost records: %d -> %d (%v)", len(recs), len(after), err)
		}
	})
}
