// Package ledger reads and writes ledger files: one JSON line per record,
// decision, user event and final record of a search, appended with one
// write each and guarded by a lock so that one process writes a ledger at
// a time. The lines themselves are package nas's (LedgerHeader, Record,
// ...); a runner (nas/runner) writes a search through the Ledger.
package ledger

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/trgnas/trgnas/nas"
)

// Read reads the candidate records of a ledger in file order, with
// the user's overrides applied (Accepted, Override and Reason updated).
// Lines that cannot be read (a corrupt line, a half-written last line) are
// skipped and reported in warnings as *nas.LineError naming file and line; err
// is set only when the file cannot be read at all. The file may be appended
// to while it is read.
func Read(path string) (recs []nas.Record, warnings []error, err error) {
	lf, warnings, err := ReadFile(path)
	if err != nil {
		return nil, warnings, err
	}
	return lf.Records(), warnings, nil
}

// ReadFile reads and parses a whole ledger; see Read for the handling of
// bad lines.
func ReadFile(path string) (*nas.LedgerFile, []error, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	lf, warns := nas.ParseLedger(path, data)
	return lf, warns, nil
}

// Ledger is an open ledger file that a search appends to. Each line is
// written whole with one write on a file opened with O_APPEND and synced
// before Append returns, so a killed process loses at most the line in
// flight. One process writes a ledger at a time: opening one holds an
// exclusive lock on it until Close or the end of the process (see
// ErrLocked); readers (Read, ReadFile) do not lock. It is the journal of
// a runner and of a final step (package nas/runner).
type Ledger struct {
	path   string
	f      *os.File
	hdr    nas.LedgerHeader
	read   *nas.LedgerFile // content when opened
	warn   []error
	locked bool

	closeOnce sync.Once
	closeErr  error
}

// Open opens the ledger at path for appending, creating it with hdr
// as its header when it does not exist or holds nothing. An existing ledger
// must have been written with the same config, recipe and dataset as hdr:
// otherwise the error wraps nas.ErrLedgerMismatch and lists what differs.
// Unreadable lines are skipped; Warnings returns them. While another
// process (or another open Ledger of this one) writes the ledger, the error
// wraps ErrLocked and names the holder.
func Open(path string, hdr nas.LedgerHeader) (*Ledger, error) {
	hdr.Format = nas.LedgerFormat
	if err := hdr.Config.Validate(); err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	if err := hdr.Recipe.Validate(); err != nil {
		return nil, fmt.Errorf("ledger %s: %w", path, err)
	}
	l, err := openLocked(path, os.O_CREATE)
	if err != nil {
		return nil, err
	}
	lf := l.read
	switch {
	case lf.Header != nil:
		if diffs := hdr.Diff(*lf.Header); len(diffs) > 0 {
			l.Close()
			return nil, fmt.Errorf("%w: %s: %s", nas.ErrLedgerMismatch, path, strings.Join(diffs, "; "))
		}
		l.hdr = *lf.Header
	case len(lf.Entries) > 0:
		l.Close()
		return nil, fmt.Errorf("%s: ledger has records but no header line", path)
	default:
		if hdr.Created.IsZero() {
			hdr.Created = time.Now().UTC()
		}
		l.hdr = hdr
		if err := l.appendJSON(hdr); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// OpenAppend opens an existing ledger for appending with the header it
// has, for steps that add to a search's ledger without being the search
// (the final step). It takes the same lock as Open, so it is refused while
// the search runs.
func OpenAppend(path string) (*Ledger, error) {
	l, err := openLocked(path, 0)
	if err != nil {
		return nil, err
	}
	if l.read.Header == nil {
		l.Close()
		return nil, fmt.Errorf("%s: ledger has no header line", path)
	}
	l.hdr = *l.read.Header
	return l, nil
}

// openLocked opens the ledger at path for appending (flag adds to the open
// flags), takes its lock, then reads what it holds: read after the lock, so
// that no other writer adds to it unseen.
func openLocked(path string, flag int) (*Ledger, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|flag, 0o644)
	if err != nil {
		return nil, err
	}
	l := &Ledger{path: path, f: f}
	if err := l.lock(); err != nil {
		f.Close()
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		l.Close()
		return nil, err
	}
	l.read, l.warn = nas.ParseLedger(path, data)
	return l, nil
}

// Path returns the ledger's file name.
func (l *Ledger) Path() string { return l.path }

// Header returns the ledger's header.
func (l *Ledger) Header() nas.LedgerHeader { return l.hdr }

// Warnings returns the lines skipped when the ledger was opened.
func (l *Ledger) Warnings() []error { return append([]error(nil), l.warn...) }

// Content returns what the ledger held when it was opened.
func (l *Ledger) Content() *nas.LedgerFile { return l.read }

// Close ends the lock and closes the file. Calls after the first do
// nothing.
func (l *Ledger) Close() error {
	l.closeOnce.Do(func() {
		l.unlock()
		l.closeErr = l.f.Close()
	})
	return l.closeErr
}

// Append writes one record.
func (l *Ledger) Append(r nas.Record) error { return l.appendJSON(r) }

// AppendLine writes one line (a journal's method).
func (l *Ledger) AppendLine(line any) error { return l.appendJSON(line) }

// appendJSON writes v as one line with a single write and syncs. If the file
// does not end in a newline (a line cut short by a killed writer), the line
// is preceded by one so that it is not glued onto the broken one.
func (l *Ledger) appendJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	b = append(b, '\n')
	fi, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	if fi.Size() > 0 {
		last := make([]byte, 1)
		if _, err := l.f.ReadAt(last, fi.Size()-1); err != nil {
			return fmt.Errorf("ledger %s: %w", l.path, err)
		}
		if last[0] != '\n' {
			b = append([]byte{'\n'}, b...)
		}
	}
	if _, err := l.f.Write(b); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("ledger %s: %w", l.path, err)
	}
	return nil
}
