package nas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
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

// ErrLedgerMismatch is wrapped by the error of opening a ledger
// (ledger.Open) or of attaching one to a runner when the ledger was written
// by another configuration, recipe or dataset.
var ErrLedgerMismatch = errors.New("ledger was written by another search")

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

// ParseLedger parses the content of a ledger file (path names it in
// warnings). Lines that cannot be used (a corrupt line, a half-written last
// line) are skipped and reported in warnings as *LineError naming file and
// line.
func ParseLedger(path string, data []byte) (*LedgerFile, []error) {
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

// Diff lists the differences between h (this run) and the ledger's header
// old, as "config.max_depth: ledger has 20, this run has 18".
func (h LedgerHeader) Diff(old LedgerHeader) []string {
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

// RecordLine completes r, a candidate's ledger line, with what the header
// says of every record (recipe, dataset, seed, versions) and the time.
func (h LedgerHeader) RecordLine(r Record) Record {
	r.Recipe, r.Dataset, r.Seed, r.Versions, r.Time = h.Recipe, h.Dataset, h.Recipe.Seed, h.Versions, time.Now().UTC()
	return r
}

// decisionRecord is the ledger line of a decision of the search.
func decisionRecord(hdr LedgerHeader, d Decision) Record {
	return hdr.RecordLine(Record{
		Seq: d.Seq, Key: d.Arch.Key(), Stage: d.Stage, Accepted: d.Accepted, Reason: d.Reason,
		Override: d.Override, Result: d.Result,
	})
}

// startLine is the ledger line of a stage the user started (Search.Start).
func startLine(after int, stage Stage, a Arch) LedgerStart {
	return LedgerStart{Event: "start", After: after, Stage: stage, Arch: a, Time: time.Now().UTC()}
}

// OverrideLine is the ledger line of a user's override (Search.Override):
// d is the decision Override returned, note the user's reason.
func OverrideLine(d Decision, note string) LedgerOverride {
	return LedgerOverride{Event: "override", Seq: d.Seq, Accepted: d.Accepted, Reason: d.Reason, Note: note, Time: time.Now().UTC()}
}
