package ledger_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
)

// testHeader is the header of the tests' ledgers: a small search.
func testHeader() nas.LedgerHeader {
	c := nas.DefaultConfig()
	c.MinDepth, c.MaxDepth, c.MinWidth, c.MaxWidth, c.WidthStep = 3, 5, 8, 16, 4
	r := nas.DefaultRecipe()
	r.Epochs = 3
	return nas.LedgerHeader{Config: c, Recipe: r, Dataset: "synthetic-test sha256:00"}
}

// TestMain lets a test run this binary as a second process that holds a
// ledger: with TRGNAS_TEST_HOLD=PATH it opens PATH for appending, says
// "locked" and waits for its standard input to close.
func TestMain(m *testing.M) {
	if path := os.Getenv("TRGNAS_TEST_HOLD"); path != "" {
		l, err := ledger.OpenAppend(path)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("locked")
		bufio.NewReader(os.Stdin).ReadString('\n')
		l.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func needFlock(t *testing.T) {
	switch runtime.GOOS {
	case "linux", "darwin", "freebsd", "netbsd", "openbsd", "dragonfly":
	default:
		t.Skipf("no flock on %s: ledgers are not locked there", runtime.GOOS)
	}
}

// newLedger creates a ledger in a temporary folder and returns it open.
func newLedger(t *testing.T) (path string, h nas.LedgerHeader, l *ledger.Ledger) {
	t.Helper()
	needFlock(t)
	path = filepath.Join(t.TempDir(), "ledger.jsonl")
	h = testHeader()
	l, err := ledger.Open(path, h)
	if err != nil {
		t.Fatal(err)
	}
	return path, h, l
}

func TestLedgerLockOneWriter(t *testing.T) {
	path, h, l := newLedger(t)
	holder, err := ledger.ReadLockHolder(path)
	if err != nil || holder.PID != os.Getpid() || holder.Host == "" {
		t.Fatalf("lock note %+v, %v", holder, err)
	}
	for name, open := range map[string]func() (*ledger.Ledger, error){
		"Open":       func() (*ledger.Ledger, error) { return ledger.Open(path, h) },
		"OpenAppend": func() (*ledger.Ledger, error) { return ledger.OpenAppend(path) },
	} {
		if l2, err := open(); !errors.Is(err, ledger.ErrLocked) || !strings.Contains(err.Error(), path) {
			if l2 != nil {
				l2.Close()
			}
			t.Errorf("%s while held: %v", name, err)
		}
	}
	// Readers never wait, and can tell who writes.
	if lf, _, err := ledger.ReadFile(path); err != nil || lf.Header == nil {
		t.Fatalf("read while held: %v", err)
	}
	if w, busy := ledger.Writer(path); !busy || w.PID != os.Getpid() {
		t.Errorf("Writer while held: %+v %v", w, busy)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ledger.LockFile(path)); !os.IsNotExist(err) {
		t.Errorf("lock note left after Close: %v", err)
	}
	if _, busy := ledger.Writer(path); busy {
		t.Error("Writer after Close: busy")
	}
	l, err = ledger.OpenAppend(path)
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	l.Close()
}

// A ledger held by another process is refused with that process's pid and
// host; once the holder is killed with SIGKILL (no chance to clean up), the
// next writer proceeds and nothing recorded is lost.
func TestLedgerLockOtherProcessKilled(t *testing.T) {
	path, h, l := newLedger(t)
	a := nas.Uniform(4, 8, 0, 3)
	if err := l.Append(nas.Record{Key: a.Key(), Stage: nas.StageDepth, Result: nas.Result{Arch: a, ValidAcc: 50}}); err != nil {
		t.Fatal(err)
	}
	l.Close()

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "TRGNAS_TEST_HOLD="+path)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("holder said %q", line)
	}
	_, err := ledger.Open(path, h)
	host, _ := os.Hostname()
	if !errors.Is(err, ledger.ErrLocked) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) ||
		!strings.Contains(err.Error(), "host "+host) || !strings.Contains(err.Error(), path) {
		t.Fatalf("second writer: %v", err)
	}
	if w, busy := ledger.Writer(path); !busy || w.PID != cmd.Process.Pid {
		t.Errorf("Writer: %+v %v", w, busy)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("holder not killed: %v", cmd.ProcessState)
	}
	// The killed holder's note is still there; it must not block.
	if stale, err := ledger.ReadLockHolder(path); err != nil || stale.PID != cmd.Process.Pid {
		t.Fatalf("stale note %+v, %v", stale, err)
	}
	l, err = ledger.Open(path, h)
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	defer l.Close()
	if now, err := ledger.ReadLockHolder(path); err != nil || now.PID != os.Getpid() {
		t.Errorf("note after taking over: %+v, %v", now, err)
	}
	if recs := l.Content().Records(); len(recs) != 1 || recs[0].Key != a.Key() {
		t.Errorf("records after the kill: %d", len(recs))
	}
}

func TestLedgerLockOff(t *testing.T) {
	t.Setenv(ledger.LockOffEnv, "off")
	path := filepath.Join(t.TempDir(), "ledger.jsonl")
	h := testHeader()
	l1, err := ledger.Open(path, h)
	if err != nil {
		t.Fatal(err)
	}
	defer l1.Close()
	l2, err := ledger.Open(path, h)
	if err != nil {
		t.Fatalf("second writer with the lock off: %v", err)
	}
	l2.Close()
	if _, err := os.Stat(ledger.LockFile(path)); !os.IsNotExist(err) {
		t.Errorf("lock note written with the lock off: %v", err)
	}
}
