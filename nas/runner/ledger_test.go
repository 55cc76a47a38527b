package runner_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
	"github.com/trgnas/trgnas/nas/runner"
)

func testHeader(cfg nas.Config) nas.LedgerHeader {
	r := nas.DefaultRecipe()
	r.Epochs = 3
	return nas.LedgerHeader{Config: cfg, Recipe: r, Dataset: "synthetic-test sha256:00"}
}

// scores gives every network a distinct score so that the search takes a
// long path through all stages.
func longScores() map[string]float64 {
	return mergeScores(map[string]float64{
		"w16-o000-k333": 90, "w16-o0000-k3333": 90.1, "w16-o00000-k33333": 90.3,
		"w12-o00000-k33333": 90, "w8-o00000-k33333": 89.9,
		"w8-o10000-k33333": 90.5, "w8-o10000-k53333": 91,
	})
}

// stopAfter fails after n evaluations, like a process killed mid-candidate.
type stopAfter struct {
	n  int
	ev nas.Evaluator
}

var errKilled = errors.New("killed")

func (s *stopAfter) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	if s.n == 0 {
		return nas.Result{}, errKilled
	}
	s.n--
	return s.ev.Evaluate(ctx, a)
}

func openLedgerSearch(t *testing.T, path string, cfg nas.Config) (*runner.Runner, *ledger.Ledger) {
	t.Helper()
	l, err := ledger.Open(path, testHeader(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	s, err := runner.New(cfg, l)
	if err != nil {
		t.Fatal(err)
	}
	return s, l
}

func fullSearch(t *testing.T) *runner.Runner {
	s, _ := runner.New(smallConfig(), nil)
	if err := s.Run(context.Background(), newScoreEval(50, longScores())); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLedgerResumeNeverReevaluates(t *testing.T) {
	ref := fullSearch(t)
	n := len(ref.Search().Decisions())
	for _, killAt := range []int{0, 1, 4, 7, n - 1, n} {
		t.Run(fmt.Sprint(killAt), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "ledger.jsonl")
			f := newScoreEval(50, longScores())
			s, l := openLedgerSearch(t, path, smallConfig())
			err := s.Run(context.Background(), &stopAfter{killAt, f})
			if killAt < n && !errors.Is(err, errKilled) || killAt == n && err != nil {
				t.Fatalf("first run: %v", err)
			}
			l.Close()
			// Resume twice: the second resume must evaluate nothing.
			for round := 0; round < 2; round++ {
				s, l = openLedgerSearch(t, path, smallConfig())
				if got := len(s.Search().Decisions()); got != killAt && round == 0 {
					t.Fatalf("resumed with %d decisions, want %d", got, killAt)
				}
				if err := s.Run(context.Background(), f); err != nil {
					t.Fatal(err)
				}
				l.Close()
			}
			for k, c := range f.Calls {
				if c != 1 {
					t.Errorf("%s evaluated %d times", k, c)
				}
			}
			if f.Total() != n {
				t.Errorf("%d evaluations, want %d", f.Total(), n)
			}
			if !reflect.DeepEqual(traceOf(s.Search().Decisions(), ""), traceOf(ref.Search().Decisions(), "")) {
				t.Errorf("resumed search differs:\n%q\n%q", traceOf(s.Search().Decisions(), ""), traceOf(ref.Search().Decisions(), ""))
			}
			recs, warns, err := ledger.Read(path)
			if err != nil || len(warns) > 0 || len(recs) != n {
				t.Fatalf("ledger: %d records, warnings %v, err %v", len(recs), warns, err)
			}
			for i, r := range recs {
				if r.Seq != i || r.Key != ref.Search().Decisions()[i].Arch.Key() || r.Recipe.Epochs != 3 || r.Dataset == "" {
					t.Errorf("record %d: %+v", i, r)
				}
			}
		})
	}
}

func TestLedgerCorruptLines(t *testing.T) {
	ref := fullSearch(t)
	n := len(ref.Search().Decisions())
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	s, l := openLedgerSearch(t, path, smallConfig())
	if err := s.Run(context.Background(), newScoreEval(50, longScores())); err != nil {
		t.Fatal(err)
	}
	l.Close()
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	// Line 1 is the header; corrupt line 5 (record 3) in the middle and
	// leave half a record at the end, as a killed writer would.
	lines[4] = `{"seq":3,"key":"w16-o0` + "\n"
	half := lines[7][:len(lines[7])/2]
	os.WriteFile(path, []byte(strings.Join(lines, "")+half), 0o644)

	recs, warns, err := ledger.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != n-1 {
		t.Errorf("%d records, want %d", len(recs), n-1)
	}
	if len(warns) != 2 || !strings.HasPrefix(warns[0].Error(), path+":5: corrupt line") ||
		!errors.Is(warns[1], nas.ErrIncompleteLine) || !strings.HasPrefix(warns[1].Error(), fmt.Sprintf("%s:%d:", path, len(lines))) {
		t.Fatalf("warnings %v", warns)
	}
	var le *nas.LineError
	if !errors.As(warns[0], &le) || le.Line != 5 {
		t.Errorf("warning is not a LineError of line 5: %#v", warns[0])
	}

	// Resume: only the lost candidate is evaluated again, and the record
	// appended after the half line is not glued onto it.
	f := newScoreEval(50, longScores())
	s, l = openLedgerSearch(t, path, smallConfig())
	if len(l.Warnings()) != 2 {
		t.Errorf("open warnings %v", l.Warnings())
	}
	if err := s.Run(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	lost := ref.Search().Decisions()[3].Arch.Key()
	if f.Total() != 1 || f.Calls[lost] != 1 {
		t.Errorf("evaluated %v, want only %s", f.Calls, lost)
	}
	if !reflect.DeepEqual(traceOf(s.Search().Decisions(), ""), traceOf(ref.Search().Decisions(), "")) {
		t.Errorf("resumed search differs")
	}
	recs, warns, _ = ledger.Read(path)
	if len(warns) != 2 || !strings.Contains(warns[1].Error(), "corrupt line") {
		t.Errorf("after append, warnings %v", warns)
	}
	found := false
	for _, r := range recs {
		found = found || r.Key == lost
	}
	if !found || len(recs) < n {
		t.Errorf("the re-evaluated candidate was not recorded: %d records", len(recs))
	}
}

func TestLedgerConfigMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	_, l := openLedgerSearch(t, path, smallConfig())
	l.Close()
	other := smallConfig()
	other.MaxDepth = 6
	h := testHeader(other)
	h.Recipe.Epochs = 600
	h.Dataset = "mnist"
	_, err := ledger.Open(path, h)
	if !errors.Is(err, nas.ErrLedgerMismatch) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{"config.max_depth: ledger has 5, this run has 6", "recipe.epochs: ledger has 3, this run has 600", `dataset: ledger has "synthetic-test sha256:00", this run has "mnist"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	// A search with another config refuses a ledger opened for its own.
	l, _ = ledger.Open(path, testHeader(smallConfig()))
	defer l.Close()
	if _, err := runner.New(other, l); !errors.Is(err, nas.ErrLedgerMismatch) {
		t.Errorf("runner.New: %v", err)
	}
	if _, err := ledger.Open(path, nas.LedgerHeader{Config: nas.Config{}}); !errors.Is(err, nas.ErrInvalidConfig) {
		t.Errorf("invalid config: %v", err)
	}
	if _, err := ledger.Open(path, nas.LedgerHeader{Config: smallConfig()}); !errors.Is(err, nas.ErrInvalidRecipe) {
		t.Errorf("invalid recipe: %v", err)
	}
	if _, _, err := ledger.Read(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing file read")
	}
}

func TestLedgerRejectsRecordsWithoutHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	os.WriteFile(path, []byte(`{"seq":0,"key":"w16-o000-k333","stage":"depth","accepted":true,"recipe":{},"dataset":"","seed":0,"result":{},"time":"2026-01-01T00:00:00Z"}`+"\n"), 0o644)
	if _, err := ledger.Open(path, testHeader(smallConfig())); err == nil || !strings.Contains(err.Error(), "no header") {
		t.Fatalf("err %v", err)
	}
}

func TestLedgerReadWhileAppending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	s, l := openLedgerSearch(t, path, smallConfig())
	done := make(chan error, 1)
	go func() {
		f := newScoreEval(50, longScores())
		slow := nas.EvaluatorFunc(func(ctx context.Context, a nas.Arch) (nas.Result, error) {
			time.Sleep(3 * time.Millisecond)
			return f.Evaluate(ctx, a)
		})
		done <- s.Run(context.Background(), slow)
		l.Close()
	}()
	last, reads := 0, 0
	for finished := false; !finished; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished = true
		default:
		}
		recs, warns, err := ledger.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range warns {
			if !errors.Is(w, nas.ErrIncompleteLine) {
				t.Fatalf("reader saw %v", w)
			}
		}
		if len(recs) < last {
			t.Fatalf("records went from %d to %d", last, len(recs))
		}
		for i, r := range recs {
			if r.Seq != i {
				t.Fatalf("record %d has seq %d", i, r.Seq)
			}
		}
		last = len(recs)
		reads++
	}
	recs, warns, _ := ledger.Read(path)
	if len(warns) > 0 || len(recs) != len(s.Search().Decisions()) {
		t.Fatalf("final: %d records for %d decisions, %v", len(recs), len(s.Search().Decisions()), warns)
	}
	if reads < 5 {
		t.Errorf("only %d reads during the search", reads)
	}
}

// With the lock off (filesystems without locks), lines of concurrent
// writers still never interleave.
func TestLedgerSeveralWritersLockOff(t *testing.T) {
	t.Setenv(ledger.LockOffEnv, "off")
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	h := testHeader(smallConfig())
	const writers, each = 4, 50
	var wg sync.WaitGroup
	// One opener creates the header first; the others find it.
	l0, err := ledger.Open(path, h)
	if err != nil {
		t.Fatal(err)
	}
	l0.Close()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			l, err := ledger.Open(path, h)
			if err != nil {
				t.Error(err)
				return
			}
			defer l.Close()
			for i := 0; i < each; i++ {
				a := nas.Uniform(4+w, 3, 0, 3)
				r := nas.Record{Seq: i, Key: a.Key(), Stage: nas.StageDepth, Result: nas.Result{Arch: a, ValidAcc: float64(i), Curve: make([]nas.Epoch, 50)}}
				if err := l.Append(r); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	recs, warns, err := ledger.Read(path)
	if err != nil || len(warns) > 0 || len(recs) != writers*each {
		t.Fatalf("%d records, warnings %v, err %v", len(recs), warns, err)
	}
}

func TestLedgerOverrideAndStartReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	f := newScoreEval(50, longScores())
	s, l := openLedgerSearch(t, path, smallConfig())
	ctx := context.Background()
	if _, _, err := s.Step(ctx, f); err != nil { // depth 3: 90
		t.Fatal(err)
	}
	d, _, err := s.Step(ctx, f) // depth 4: 90.1, rejected but going deeper
	if err != nil || d.Accepted {
		t.Fatalf("%+v %v", d, err)
	}
	if _, err := s.Override(true, "I like depth 4"); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(nas.StageOperation, nas.Uniform(8, 3, 0, 5)); err != nil {
		t.Fatal(err)
	}
	if err := s.Run(ctx, f); err != nil {
		t.Fatal(err)
	}
	l.Close()
	want := traceOf(s.Search().Decisions(), "")

	recs, warns, err := ledger.Read(path)
	if err != nil || len(warns) > 0 {
		t.Fatal(err, warns)
	}
	if !recs[1].Accepted || !recs[1].Override || !strings.Contains(recs[1].Reason, "I like depth 4") {
		t.Errorf("override not in the ledger: %+v", recs[1])
	}
	if recs[2].Key != "w8-o000-k555" || !recs[2].Override || recs[2].Stage != nas.StageOperation {
		t.Errorf("start not in the ledger: %+v", recs[2])
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), `"event":"override"`) || !strings.Contains(string(data), `"event":"start","after":2`) {
		t.Errorf("ledger lines:\n%s", data)
	}

	f2 := newScoreEval(50, longScores())
	s2, _ := openLedgerSearch(t, path, smallConfig())
	if got := traceOf(s2.Search().Decisions(), ""); !reflect.DeepEqual(got, want) {
		t.Errorf("replayed %q\nwant %q", got, want)
	}
	if err := s2.Run(ctx, f2); err != nil || f2.Total() != 0 {
		t.Errorf("resume evaluated %d: %v", f2.Total(), err)
	}
	if ds := s2.Search().Decisions(); !ds[1].Override || !ds[2].Start {
		t.Errorf("replayed decisions lack the override/start: %+v", ds[:3])
	}
}

func TestRememberRecordsOfAnotherSearch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.jsonl")
	s, l := openLedgerSearch(t, path, smallConfig())
	if err := s.Run(context.Background(), newScoreEval(50, longScores())); err != nil {
		t.Fatal(err)
	}
	l.Close()
	recs, _, _ := ledger.Read(path)
	h := testHeader(smallConfig())

	other := smallConfig()
	other.Order = nas.OrderKernelsOps
	s2, _ := runner.New(other, nil)
	otherRecipe := h.Recipe
	otherRecipe.Seed = 7
	if n := s2.RememberRecords(recs, otherRecipe, h.Dataset); n != 0 {
		t.Errorf("records of another seed used: %d", n)
	}
	if n := s2.RememberRecords(recs, h.Recipe, "mnist"); n != 0 {
		t.Errorf("records of another dataset used: %d", n)
	}
	if n := s2.RememberRecords(recs, h.Recipe, h.Dataset); n != len(recs) {
		t.Errorf("%d of %d records used", n, len(recs))
	}
	ev := newScoreEval(50, longScores())
	if err := s2.Run(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	shared := 0
	for _, d := range s2.Search().Decisions() {
		for _, r := range recs {
			if r.Key == d.Arch.Key() {
				shared++
				if ev.Calls[r.Key] != 0 {
					t.Errorf("%s evaluated again", r.Key)
				}
			}
		}
	}
	if shared < 5 || ev.Total() != len(s2.Search().Decisions())-shared {
		t.Errorf("%d shared candidates, %d evaluations for %d decisions", shared, ev.Total(), len(s2.Search().Decisions()))
	}
}

func TestLedgerHalfWrittenHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.jsonl")
	os.WriteFile(path, []byte(`{"ledger":"trgnas-ledger/1","con`), 0o644)
	s, l := openLedgerSearch(t, path, smallConfig())
	if len(l.Warnings()) != 1 || !errors.Is(l.Warnings()[0], nas.ErrIncompleteLine) {
		t.Errorf("warnings %v", l.Warnings())
	}
	if err := s.Run(context.Background(), newScoreEval(50, nil)); err != nil {
		t.Fatal(err)
	}
	lf, warns, err := ledger.ReadFile(path)
	if err != nil || lf.Header == nil || lf.Header.Config != smallConfig() || len(lf.Records()) != len(s.Search().Decisions()) {
		t.Fatalf("header %+v, %d records, %v %v", lf.Header, len(lf.Records()), warns, err)
	}
	if len(warns) != 1 || !strings.HasPrefix(warns[0].Error(), path+":1: corrupt line") {
		t.Errorf("warnings %v", warns)
	}
}
