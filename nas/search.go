package nas

import (
	"errors"
	"fmt"
)

// StageJoint is the stage of the OrderJoint configuration: per layer, every
// (kernel, operation) pair is tried against the current network.
const StageJoint Stage = "joint"

// Decision is what the search made of one candidate's result.
type Decision struct {
	Seq      int     `json:"seq"` // 0-based position in the search
	Stage    Stage   `json:"stage"`
	Arch     Arch    `json:"arch"`
	Result   Result  `json:"result"`
	Score    float64 `json:"score"`    // the accuracy the rules compared (0 for a failed candidate)
	Accepted bool    `json:"accepted"` // the candidate became the current network
	Reason   string  `json:"reason"`   // the decision in words, e.g. "accepted: 95.28 >= 94.86 + 0.25"
	Override bool    `json:"override,omitempty"`
	Start    bool    `json:"start,omitempty"` // the candidate started a stage from a user architecture
	Ends     string  `json:"ends,omitempty"`  // set when the stage ended after this candidate: why
}

// Search is the staged TRG-NAS search as a deterministic state machine
// driven by results: Next gives the candidate to evaluate, Tell hands its
// result and returns the decision. The state depends only on the Config and
// the sequence of results, overrides and stage starts it was told, so a
// ledger replays into it exactly. A Search is not safe for concurrent use.
//
// The rules (accuracies are percentages; "current" is the network last
// accepted):
//   - depth: start at MaxWidth, MinDepth, all SepConv k=3. While current <
//     TargetAcc-TargetTol, the depth counter < MaxDepth and current's
//     training accuracy < 100, try one layer more (fresh SepConv k=3 at
//     current's width): accepted if >= current+DepthGain; else the stage
//     goes deeper if >= current-DepthTol, and ends otherwise.
//   - width: keep current's layers, shrink the width by WidthStep down to
//     MinWidth; accepted if >= (current after the depth stage)-WidthDropTol,
//     else the stage ends.
//   - operation: for each searched layer (the first 2L/3, or all with
//     AllLayers) try the other operation; accepted if > current+OpMargin.
//   - kernel: for each searched layer try the other kernel sizes in order
//     3, 5, 7; accepted if > current+KernelMargin (the best kernel stays).
//   - joint (OrderJoint): for each searched layer try every (kernel, op)
//     pair, kernels outer; accepted if > current+OpMargin.
//
// A failed candidate scores 0.
type Search struct {
	cfg    Config
	events []event
	st     state
}

// ErrSearchDone is returned by Tell when the search has no candidate pending.
var ErrSearchDone = errors.New("search has no pending candidate")

type eventKind int

const (
	evResult eventKind = iota
	evStart
)

// event is one input of the state machine.
type event struct {
	kind   eventKind
	res    Result // evResult
	force  *bool  // evResult: decision set by the user
	reason string // evResult: the user's reason for the override
	stage  Stage  // evStart
	arch   Arch   // evStart
}

// state is everything derived from the events.
type state struct {
	stages   []Stage
	stageIdx int // len(stages) when done

	haveCur  bool
	cur      Arch
	curRes   Result
	curScore float64

	depth int     // depth stage: the loop's depth counter (last depth tried)
	ref   float64 // width stage: the depth stage's accuracy

	layer   int      // operation/kernel/joint stages: layer being searched
	options [][2]int // (op, kernel) still to try on that layer

	pending      Arch
	hasPending   bool
	startPending bool // the pending candidate starts a stage (user architecture)

	decisions []Decision
	notes     []string
}

// NewSearch returns a search at its first candidate. The config is validated.
func NewSearch(cfg Config) (*Search, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Search{cfg: cfg}
	s.st = s.initial()
	return s, nil
}

func (s *Search) initial() state {
	st := state{stages: s.cfg.Stages()}
	s.enter(&st, 0)
	return st
}

// Config returns the search's configuration.
func (s *Search) Config() Config { return s.cfg }

// Next returns the candidate to evaluate next and its stage; ok is false
// when the search is finished.
func (s *Search) Next() (a Arch, stage Stage, ok bool) {
	if !s.st.hasPending {
		return Arch{}, "", false
	}
	return s.st.pending.Clone(), s.Stage(), true
}

// Stage returns the stage in progress, or "" when the search is finished.
func (s *Search) Stage() Stage {
	if s.st.stageIdx >= len(s.st.stages) {
		return ""
	}
	return s.st.stages[s.st.stageIdx]
}

// Done reports whether the search is finished.
func (s *Search) Done() bool { return !s.st.hasPending }

// Best returns the current network, the best found so far, with its result
// and score; ok is false before the first result.
func (s *Search) Best() (a Arch, res Result, ok bool) {
	if !s.st.haveCur {
		return Arch{}, Result{}, false
	}
	return s.st.cur.Clone(), s.st.curRes, true
}

// Decisions returns every decision so far, in order.
func (s *Search) Decisions() []Decision { return append([]Decision(nil), s.st.decisions...) }

// Notes returns the stage transitions so far in words, e.g.
// "depth stage ends: max depth 20 reached; current depth 16 width 72 (96.00)".
func (s *Search) Notes() []string { return append([]string(nil), s.st.notes...) }

// Tell hands the result of the candidate Next returned and returns the
// decision. A result whose Arch is set must be that candidate; an empty Arch
// is taken to be it. A failed result (Failed set) is scored as accuracy 0:
// in every stage it is rejected unless nothing has been accepted yet.
func (s *Search) Tell(res Result) (Decision, error) {
	if !s.st.hasPending {
		return Decision{}, ErrSearchDone
	}
	if res.Arch.Width == 0 && len(res.Arch.Ops) == 0 {
		res.Arch = s.st.pending.Clone()
	} else if res.Arch.Key() != s.st.pending.Key() {
		return Decision{}, fmt.Errorf("result is for %s but the search asked for %s", res.Arch.Key(), s.st.pending.Key())
	}
	ev := event{kind: evResult, res: res}
	if err := s.apply(&s.st, ev); err != nil {
		return Decision{}, err
	}
	s.events = append(s.events, ev)
	return s.st.decisions[len(s.st.decisions)-1], nil
}

// Override replaces the rules' decision on the most recent candidate by
// accept, with the user's reason, and returns the new decision. The search
// continues from the overridden decision. The first candidate of the
// search and a stage's start candidate are always accepted and cannot be
// rejected.
func (s *Search) Override(accept bool, reason string) (Decision, error) {
	n := len(s.events)
	if n == 0 || s.events[n-1].kind != evResult {
		return Decision{}, errors.New("override: no decision to override (the last step was not a result)")
	}
	old := s.events[n-1]
	ev := old
	ev.force, ev.reason = &accept, reason
	s.events[n-1] = ev
	st, err := s.rebuild()
	if err != nil {
		s.events[n-1] = old
		return Decision{}, fmt.Errorf("override: %w", err)
	}
	s.st = st
	return st.decisions[len(st.decisions)-1], nil
}

// Start jumps to stage and starts it from the user's architecture a:
// a is the next candidate; once told, it becomes the current network
// (whatever its score) and the stage goes on from it, followed by the
// stages after it in the configuration's order. The pending candidate, if
// any, is dropped.
func (s *Search) Start(stage Stage, a Arch) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("start %s: %w", stage, err)
	}
	ev := event{kind: evStart, stage: stage, arch: a.Clone()}
	if err := s.apply(&s.st, ev); err != nil {
		return err
	}
	s.events = append(s.events, ev)
	return nil
}

func (s *Search) rebuild() (state, error) {
	st := s.initial()
	for _, ev := range s.events {
		if err := s.apply(&st, ev); err != nil {
			return state{}, err
		}
	}
	return st, nil
}

// Inputs is the number of results and stage starts told so far. A runner
// that journals the search writes the lines of those it has not written
// yet (InputLine), so that a line whose write failed is written later.
func (s *Search) Inputs() int { return len(s.events) }

// InputLine returns the ledger line of input i, 0 <= i < Inputs(): the
// decision Record of a result, filled from hdr, or the LedgerStart of a
// stage start. An override is journaled by whoever made it (OverrideLine).
func (s *Search) InputLine(hdr LedgerHeader, i int) any {
	ev := s.events[i]
	if ev.kind == evStart {
		return startLine(s.resultsBefore(i), ev.stage, ev.arch)
	}
	return decisionRecord(hdr, s.decisionOf(i))
}

// decisionOf returns the decision made on result event i.
func (s *Search) decisionOf(i int) Decision { return s.st.decisions[s.resultsBefore(i)] }

// resultsBefore counts the result events before event i.
func (s *Search) resultsBefore(i int) int {
	n := 0
	for _, ev := range s.events[:i] {
		if ev.kind == evResult {
			n++
		}
	}
	return n
}

func (s *Search) apply(st *state, ev event) error {
	switch ev.kind {
	case evStart:
		idx := -1
		for i, g := range st.stages {
			if g == ev.stage {
				idx = i
			}
		}
		if idx < 0 {
			return fmt.Errorf("start: stage %q is not one of this configuration's stages %v", ev.stage, st.stages)
		}
		st.stageIdx = idx
		st.pending, st.hasPending, st.startPending = ev.arch.Clone(), true, true
		st.options = nil
		st.notes = append(st.notes, fmt.Sprintf("%s stage starts from a user architecture: %s", ev.stage, ev.arch))
		return nil
	case evResult:
		return s.applyResult(st, ev)
	}
	return fmt.Errorf("unknown event %d", ev.kind)
}

func score(r Result) float64 {
	if r.Failed {
		return 0
	}
	return r.ValidAcc
}

func (s *Search) applyResult(st *state, ev event) error {
	if !st.hasPending {
		return ErrSearchDone
	}
	c := s.cfg
	cand := st.pending.Clone()
	stage := st.stages[st.stageIdx]
	sc := score(ev.res)
	d := Decision{Seq: len(st.decisions), Stage: stage, Arch: cand, Result: ev.res, Score: sc}
	prefix := ""
	if ev.res.Failed {
		prefix = fmt.Sprintf("failed (%s), scored 0: ", ev.res.Error)
	}
	forced := false // the rules have no choice: first candidate, start candidate
	switch {
	case st.startPending:
		d.Accepted, d.Start, d.Override, forced = true, true, true, true
		d.Reason = fmt.Sprintf("accepted: user architecture starts the %s stage (%.2f)", stage, sc)
	case !st.haveCur:
		d.Accepted, forced = true, true
		d.Reason = fmt.Sprintf("accepted: first candidate (%.2f)", sc)
	default:
		d.Accepted, d.Reason = ruleOf(stage).judge(c, st, sc)
		d.Reason = prefix + d.Reason
	}
	if ev.force != nil {
		if forced && !*ev.force {
			return fmt.Errorf("candidate %d (%s) cannot be rejected: %s", d.Seq, cand.Key(), d.Reason)
		}
		if !forced {
			rule := d.Reason
			d.Accepted, d.Override = *ev.force, true
			verb := "rejected"
			if d.Accepted {
				verb = "accepted"
			}
			d.Reason = fmt.Sprintf("%s by override (rules said %q)", verb, rule)
			if ev.reason != "" {
				d.Reason += ": " + ev.reason
			}
		}
	}

	prevScore := st.curScore
	if d.Accepted {
		st.haveCur, st.cur, st.curRes, st.curScore = true, cand, ev.res, sc
	}
	st.hasPending = false
	start := st.startPending
	st.startPending = false
	st.decisions = append(st.decisions, d)
	nNotes := len(st.notes)

	ruleOf(stage).after(s, st, d.Accepted, cand, sc, prevScore, start)
	if len(st.notes) > nNotes {
		st.decisions[len(st.decisions)-1].Ends = st.notes[nNotes]
	}
	return nil
}

// enter makes stage i the current one and sets its first candidate.
func (s *Search) enter(st *state, i int) {
	st.stageIdx = i
	st.hasPending = false
	if i >= len(st.stages) {
		st.notes = append(st.notes, "search finished: "+curString(st))
		return
	}
	ruleOf(st.stages[i]).enter(s, st)
}

func curString(st *state) string {
	if !st.haveCur {
		return "no current network"
	}
	return fmt.Sprintf("current %s (%.2f)", st.cur, st.curScore)
}

// end closes the current stage with a reason and enters the next one.
func (s *Search) end(st *state, why string) {
	stage := st.stages[st.stageIdx]
	st.notes = append(st.notes, fmt.Sprintf("%s stage ends: %s; %s", stage, why, curString(st)))
	s.enter(st, st.stageIdx+1)
}
