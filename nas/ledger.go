package nas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/trgnas/trgnas/data"
)

// LedgerFormat is the value of the "ledger" field of a ledger's header line.
const LedgerFormat = "trgnas-ledger/1"

// LedgerHeader is the first line of a ledger: what every record in it was
// produced with. A ledger is only resumed by a search with the same header
// (Created and Versions aside).
type LedgerHeader struct {
	Format   string    `json:"ledger"` // LedgerFormat
	Config   Config    `json:"config"`
	Recipe   Recipe    `json:"recipe"`
	Dataset  string    `json:"dataset"` // name and content fingerprint of the data
	Versions string    `json:"versions,omitempty"`
	Created  time.Time `json:"created"`
	// Source says where the data came from, so that later steps (the final
	// training) read the same data; Dataset, not Source, identifies it.
	// Ledgers written before it existed have none.
	Source *data.Spec `json:"source,omitempty"`
}

// LedgerStart is a ledger line saying that the user started a stage from an
// architecture of their own (Search.Start).
type LedgerStart struct {
	Event string    `json:"event"` // "start"
	After int       `json:"after"` // number of decisions made before the start
	Stage Stage     `json:"stage"`
	Arch  Arch      `json:"arch"`
	Time  time.Time `json:"time"`
}

// LedgerOverride is a ledger line saying that the user replaced the rules'
// decision on candidate Seq (Search.Override).
type LedgerOverride struct {
	Event    string    `json:"event"` // "override"
	Seq      int       `json:"seq"`
	Accepted bool      `json:"accepted"`
	Reason   string    `json:"reason"`         // the decision in words, as Decision.Reason
	Note     string    `json:"note,omitempty"` // the user's own words
	Time     time.Time `json:"time"`
}

// LedgerEntry is one valid line of a ledger after the header: exactly one
// of Record, Start, Override and Final is set. Line is its 1-based line
// number.
type LedgerEntry struct {
	Line     int
	Record   *Record
	Start    *LedgerStart
	Override *LedgerOverride
	Final    *FinalRecord
}

// LedgerFile is the parsed content of a ledger file.
type LedgerFile struct {
	Path    string
	Header  *LedgerHeader // nil when the file has none
	Entries []LedgerEntry
}

// LineError is a ledger or log line that could not be used.
type LineError struct {
	Path string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// ErrIncompleteLine reports a last line without its newline: a write in
// progress, or one cut short by a killed process.
var ErrIncompleteLine = errors.New("incomplete last line (no newline: a write in progress or cut short), skipped")

// ErrLedgerMismatch is wrapped by the error of OpenLedger when the ledger
// was written by another configuration, recipe or dataset.
var ErrLedgerMismatch = errors.New("ledger was written by another search")

// ReadLedger reads the candidate records of a ledger in file order, with
// the user's overrides applied (Accepted, Override and Reason updated).
// Lines that cannot be read (a corrupt line, a half-written last line) are
// skipped and reported in warnings as *LineError naming file and line; err
// is set only when the file cannot be read at all. The file may be appended
// to while it is read.
func ReadLedger(path string) (recs []Record, warnings []error, err error) {
	lf, warnings, err := ReadLedgerFile(path)
	if err != nil {
		return nil, warnings, err
	}
	return lf.Records(), warnings, nil
}

// Records returns the candidate records with the overrides applied.
func (lf *LedgerFile) Records() []Record {
	var recs []Record
	for _, e := range lf.Entries {
		switch {
		case e.Record != nil:
			recs = append(recs, *e.Record)
		case e.Override != nil:
			for i := len(recs) - 1; i >= 0; i-- {
				if recs[i].Seq == e.Override.Seq {
					recs[i].Accepted, recs[i].Override = e.Override.Accepted, true
					recs[i].Reason = e.Override.Reason
					break
				}
			}
		}
	}
	return recs
}

// ReadLedgerFile reads and parses a whole ledger; see ReadLedger for the
// handling of bad lines.
func ReadLedgerFile(path string) (*LedgerFile, []error, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	lf, warns := parseLedger(path, data)
	return lf, warns, nil
}

func parseLedger(path string, data []byte) (*LedgerFile, []error) {
	lf := &LedgerFile{Path: path}
	var warns []error
	warn := func(line int, err error) { warns = append(warns, &LineError{Path: path, Line: line, Err: err}) }
	lines := bytes.Split(data, []byte("\n"))
	for i, ln := range lines {
		lineNo := i + 1
		last := i == len(lines)-1
		if len(bytes.TrimSpace(ln)) == 0 {
			continue
		}
		if last { // data does not end in a newline
			warn(lineNo, ErrIncompleteLine)
			continue
		}
		var probe struct {
			Ledger *string `json:"ledger"`
			Event  *string `json:"event"`
			Key    *string `json:"key"`
		}
		if err := json.Unmarshal(ln, &probe); err != nil {
			warn(lineNo, fmt.Errorf("corrupt line, skipped: %v", err))
			continue
		}
		switch {
		case probe.Ledger != nil:
			var h LedgerHeader
			if err := decodeLine(ln, &h); err != nil {
				warn(lineNo, fmt.Errorf("bad header, skipped: %v", err))
				continue
			}
			if h.Format != LedgerFormat {
				warn(lineNo, fmt.Errorf("header of format %q, want %q, skipped", h.Format, LedgerFormat))
				continue
			}
			if lf.Header != nil {
				warn(lineNo, errors.New("second header line, skipped"))
				continue
			}
			lf.Header = &h
		case probe.Event != nil && *probe.Event == "start":
			var st LedgerStart
			if err := decodeLine(ln, &st); err != nil {
				warn(lineNo, fmt.Errorf("bad start line, skipped: %v", err))
				continue
			}
			if err := st.Arch.Validate(); err != nil {
				warn(lineNo, fmt.Errorf("bad start line, skipped: %v", err))
				continue
			}
			lf.Entries = append(lf.Entries, LedgerEntry{Line: lineNo, Start: &st})
		case probe.Event != nil && *probe.Event == "override":
			var ov LedgerOverride
			if err := decodeLine(ln, &ov); err != nil {
				warn(lineNo, fmt.Errorf("bad override line, skipped: %v", err))
				continue
			}
			lf.Entries = append(lf.Entries, LedgerEntry{Line: lineNo, Override: &ov})
		case probe.Event != nil && *probe.Event == "final":
			var fr FinalRecord
			if err := decodeLine(ln, &fr); err != nil {
				warn(lineNo, fmt.Errorf("bad final record, skipped: %v", err))
				continue
			}
			if err := fr.Result.Arch.Validate(); err != nil {
				warn(lineNo, fmt.Errorf("bad final record, skipped: %v", err))
				continue
			}
			lf.Entries = append(lf.Entries, LedgerEntry{Line: lineNo, Final: &fr})
		case probe.Event != nil:
			warn(lineNo, fmt.Errorf("unknown event %q, skipped", *probe.Event))
		case probe.Key != nil:
			var r Record
			if err := decodeLine(ln, &r); err != nil {
				warn(lineNo, fmt.Errorf("bad record, skipped: %v", err))
				continue
			}
			a, err := ParseKey(r.Key)
			if err != nil {
				warn(lineNo, fmt.Errorf("bad record, skipped: %v", err))
				continue
			}
			if r.Result.Arch.Width == 0 && len(r.Result.Arch.Ops) == 0 {
				r.Result.Arch = a
			} else if r.Result.Arch.Key() != r.Key {
				warn(lineNo, fmt.Errorf("bad record, skipped: key %s but result for %s", r.Key, r.Result.Arch.Key()))
				continue
			}
			lf.Entries = append(lf.Entries, LedgerEntry{Line: lineNo, Record: &r})
		default:
			warn(lineNo, errors.New("not a header, record or event line, skipped"))
		}
	}
	return lf, warns
}

// decodeLine decodes one line; fields it does not know (written by a newer
// version) are ignored.
func decodeLine(b []byte, v any) error { return json.Unmarshal(b, v) }

// Ledger is an open ledger file that a search appends to. Each line is
// written whole with one write on a file opened with O_APPEND and synced
// before Append returns, so a killed process loses at most the line in
// flight. One process writes a ledger at a time: opening one holds an
// exclusive lock on it until Close or the end of the process (see
// ErrLedgerLocked); readers (ReadLedger, ReadLedgerFile) do not lock.
type Ledger struct {
	path   string
	f      *os.File
	hdr    LedgerHeader
	read   *LedgerFile // content when opened
	warn   []error
	locked bool

	closeOnce sync.Once
	closeErr  error
}

// OpenLedger opens the ledger at path for appending, creating it with hdr
// as its header when it does not exist or holds nothing. An existing ledger
// must have been written with the same config, recipe and dataset as hdr:
// otherwise the error wraps ErrLedgerMismatch and lists what differs.
// Unreadable lines are skipped; Warnings returns them. While another
// process (or another open Ledger of this one) writes the ledger, the error
// wraps ErrLedgerLocked and names the holder.
func OpenLedger(path string, hdr LedgerHeader) (*Ledger, error) {
	hdr.Format = LedgerFormat
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
		if diffs := hdr.diff(*lf.Header); len(diffs) > 0 {
			l.Close()
			return nil, fmt.Errorf("%w: %s: %s", ErrLedgerMismatch, path, strings.Join(diffs, "; "))
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

// OpenLedgerAppend opens an existing ledger for appending with the header
// it has, for steps that add to a search's ledger without being the search
// (the final step). It takes the same lock as OpenLedger, so it is refused
// while the search runs.
func OpenLedgerAppend(path string) (*Ledger, error) {
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
	l.read, l.warn = parseLedger(path, data)
	return l, nil
}

// Path returns the ledger's file name.
func (l *Ledger) Path() string { return l.path }

// Header returns the ledger's header.
func (l *Ledger) Header() LedgerHeader { return l.hdr }

// Warnings returns the lines skipped when the ledger was opened.
func (l *Ledger) Warnings() []error { return append([]error(nil), l.warn...) }

// Content returns what the ledger held when it was opened.
func (l *Ledger) Content() *LedgerFile { return l.read }

// Close ends the lock and closes the file. Calls after the first do
// nothing.
func (l *Ledger) Close() error {
	l.closeOnce.Do(func() {
		l.unlock()
		l.closeErr = l.f.Close()
	})
	return l.closeErr
}

// diff lists the differences between h (this run) and the ledger's header
// old, as "config.max_depth: ledger has 20, this run has 18".
func (h LedgerHeader) diff(old LedgerHeader) []string {
	var out []string
	out = append(out, diffJSON("config", old.Config, h.Config)...)
	out = append(out, diffJSON("recipe", old.Recipe, h.Recipe)...)
	if old.Dataset != h.Dataset {
		out = append(out, fmt.Sprintf("dataset: ledger has %q, this run has %q", old.Dataset, h.Dataset))
	}
	return out
}

func diffJSON(prefix string, old, cur any) []string {
	var a, b map[string]any
	ja, _ := json.Marshal(old)
	jb, _ := json.Marshal(cur)
	_ = json.Unmarshal(ja, &a)
	_ = json.Unmarshal(jb, &b)
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		if !reflect.DeepEqual(a[k], b[k]) {
			out = append(out, fmt.Sprintf("%s.%s: ledger has %s, this run has %s", prefix, k, jsonValue(a[k]), jsonValue(b[k])))
		}
	}
	return out
}

func jsonValue(v any) string {
	if v == nil {
		return "nothing"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Append writes one record.
func (l *Ledger) Append(r Record) error { return l.appendJSON(r) }

func (l *Ledger) appendDecision(d Decision) error {
	return l.Append(Record{
		Seq: d.Seq, Key: d.Arch.Key(), Stage: d.Stage, Accepted: d.Accepted, Reason: d.Reason,
		Override: d.Override, Recipe: l.hdr.Recipe, Dataset: l.hdr.Dataset, Seed: l.hdr.Recipe.Seed,
		Result: d.Result, Versions: l.hdr.Versions, Time: time.Now().UTC(),
	})
}

func (l *Ledger) appendStart(after int, stage Stage, a Arch) error {
	return l.appendJSON(LedgerStart{Event: "start", After: after, Stage: stage, Arch: a, Time: time.Now().UTC()})
}

func (l *Ledger) appendOverride(d Decision, note string) error {
	return l.appendJSON(LedgerOverride{Event: "override", Seq: d.Seq, Accepted: d.Accepted, Reason: d.Reason, Note: note, Time: time.Now().UTC()})
}

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
