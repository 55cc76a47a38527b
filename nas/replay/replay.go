// Package replay reads search logs in the published format of the TRG-NAS
// authors' code and re-makes their decisions with this project's search
// rules, answering each candidate from the log instead of training it.
package replay

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/runner"
)

// Log is a search log in the published format of the authors' code.
type Log struct {
	Name       string
	Args       map[string]string // the Arguments = Namespace(...) line, values as written
	ArgsLine   int
	Classes    []string // "Classes under consideration"
	Candidates []Candidate
	Final      *Candidate // "FINAL DISCOVERED ARCHITECTURE DETAILS", nil if absent
	// FoundDepth and FoundWidth are the "Discovered Final Depth/Width" lines (0 if absent).
	FoundDepth, FoundWidth int
	TotalSeconds           float64 // "Total Search Time", 0 if absent
}

// Candidate is one candidate block of a log.
type Candidate struct {
	Line         int       // line of its "Model Depth" line
	Stage        nas.Stage // from the section the block is in ("" before any)
	LoggedDepth  int       // the "Model Depth" value (during the width stage, the loop's counter)
	Arch         nas.Arch  // depth from the length of "Model Layers"
	LoggedParams int       // "Model Parameters = x MB" times 10^6, rounded
	TrainAcc     float64
	ValidAcc     float64
	Complete     bool        // the best accuracies were logged
	Curve        []nas.Epoch // the per-epoch points the log reports
	TestAcc      float64     // "Test Accuracy (Overall)", 0 if absent
	ClassAcc     []float64
	Seconds      float64 // from "Training Model..." to the best accuracies, by the timestamps
}

var (
	logStamp     = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3}) ?`)
	reDepthWidth = regexp.MustCompile(`^Model Depth (\d+) Model Width (\d+)$`)
	reLayers     = regexp.MustCompile(`^Model Layers \[([\d ]*)\] Model Kernels \[([\d ]*)\]$`)
	reParams     = regexp.MustCompile(`^Model Parameters = ([0-9.eE+-]+) ?MB$`)
	reEpoch      = regexp.MustCompile(`^epoch (\d+) lr ([0-9.eE+-]+)$`)
	reAcc        = regexp.MustCompile(`^(train_acc|valid_acc) ([0-9.eE+-]+)$`)
	reBest       = regexp.MustCompile(`^Best Training Accuracy ([0-9.eE+-]+) Best Validation Accuracy ([0-9.eE+-]+)$`)
	reBestOne    = regexp.MustCompile(`^Best (Training|Validation) Accuracy ([0-9.eE+-]+)$`)
	reFinalAcc   = regexp.MustCompile(`^Training Accuracy ([0-9.eE+-]+) Validation Accuracy ([0-9.eE+-]+)$`)
	reClassAcc   = regexp.MustCompile(`^Test Accuracy of +(.+?): +\d+% \((\d+)/(\d+)\)$`)
	reOverall    = regexp.MustCompile(`^Test Accuracy \(Overall\): ([0-9.eE+-]+)% \((\d+)/(\d+)\)$`)
	reTotal      = regexp.MustCompile(`^Total Search Time: ([0-9.eE+-]+)s$`)
	reFound      = regexp.MustCompile(`^Discovered Final (Depth|Width) (\d+)$`)
)

// ParseFile reads the search log at path (see Parse).
func ParseFile(path string) (*Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a search log in the published format. name is used in
// errors, which name the line ("name:12: ..."). Lines the format does not
// know are ignored; known lines that do not parse are errors.
func Parse(r io.Reader, name string) (*Log, error) {
	lg := &Log{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var (
		cur       *Candidate
		stage     nas.Stage
		inFinal   bool
		trainFrom time.Time
		stamp     time.Time
		lineNo    int
	)
	fail := func(format string, args ...any) error {
		return &nas.LineError{Path: name, Line: lineNo, Err: fmt.Errorf(format, args...)}
	}
	num := func(s, what string) (float64, error) {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fail("%s %q is not a number", what, s)
		}
		return v, nil
	}
	need := func(what string) error {
		if cur == nil {
			return fail("%s outside a candidate block (no \"Model Depth\" line before it)", what)
		}
		return nil
	}
	for sc.Scan() {
		lineNo++
		msg := strings.TrimRight(sc.Text(), " \r")
		if m := logStamp.FindStringSubmatch(msg); m != nil {
			if t, err := time.Parse("2006-01-02 15:04:05", m[1]); err == nil {
				ms, _ := strconv.Atoi(m[2])
				stamp = t.Add(time.Duration(ms) * time.Millisecond)
			}
			msg = msg[len(m[0]):]
		}
		msg = strings.TrimSpace(msg)
		switch {
		case msg == "":
		case strings.HasPrefix(msg, "Arguments = Namespace("):
			args, err := parseNamespace(strings.TrimPrefix(msg, "Arguments = "))
			if err != nil {
				return nil, fail("%v", err)
			}
			lg.Args, lg.ArgsLine = args, lineNo
		case strings.HasPrefix(msg, "Classes under consideration:"):
			lg.Classes = parseList(strings.TrimSpace(strings.TrimPrefix(msg, "Classes under consideration:")))
		case strings.HasPrefix(msg, "RUNNING DEPTH SEARCH"):
			stage = nas.StageDepth
		case strings.HasPrefix(msg, "RUNNING WIDTH SEARCH"):
			stage = nas.StageWidth
		case strings.HasPrefix(msg, "RUNNING OPERATION SEARCH"):
			stage = nas.StageOperation
		case strings.HasPrefix(msg, "RUNNING KERNEL SEARCH"):
			stage = nas.StageKernel
		case strings.HasPrefix(msg, "FINAL DISCOVERED ARCHITECTURE"):
			inFinal = true
		case reDepthWidth.MatchString(msg):
			m := reDepthWidth.FindStringSubmatch(msg)
			d, _ := strconv.Atoi(m[1])
			w, _ := strconv.Atoi(m[2])
			c := Candidate{Line: lineNo, Stage: stage, LoggedDepth: d, Arch: nas.Arch{Width: w}}
			if inFinal {
				lg.Final = &c
				cur = lg.Final
			} else {
				lg.Candidates = append(lg.Candidates, c)
				cur = &lg.Candidates[len(lg.Candidates)-1]
			}
		case strings.HasPrefix(msg, "Model Layers"):
			if err := need("Model Layers"); err != nil {
				return nil, err
			}
			m := reLayers.FindStringSubmatch(msg)
			if m == nil {
				return nil, fail("cannot read %q: want \"Model Layers [..] Model Kernels [..]\"", msg)
			}
			ops, err1 := parseInts(m[1])
			ks, err2 := parseInts(m[2])
			if err1 != nil || err2 != nil {
				return nil, fail("cannot read the layers of %q", msg)
			}
			cur.Arch.Ops, cur.Arch.Kernels = ops, ks
			if err := cur.Arch.Validate(); err != nil {
				return nil, fail("%v", err)
			}
		case strings.HasPrefix(msg, "Model Parameters"):
			if err := need("Model Parameters"); err != nil {
				return nil, err
			}
			m := reParams.FindStringSubmatch(msg)
			if m == nil {
				return nil, fail("cannot read %q: want \"Model Parameters = x MB\"", msg)
			}
			v, err := num(m[1], "parameters")
			if err != nil {
				return nil, err
			}
			cur.LoggedParams = int(math.Round(v * 1e6))
		case msg == "Training Model...":
			trainFrom = stamp
		case reEpoch.MatchString(msg):
			if err := need("epoch line"); err != nil {
				return nil, err
			}
			m := reEpoch.FindStringSubmatch(msg)
			e, _ := strconv.Atoi(m[1])
			lr, err := num(m[2], "lr")
			if err != nil {
				return nil, err
			}
			cur.Curve = append(cur.Curve, nas.Epoch{Epoch: e, LR: lr})
		case strings.HasPrefix(msg, "train_acc") || strings.HasPrefix(msg, "valid_acc"):
			m := reAcc.FindStringSubmatch(msg)
			if m == nil {
				return nil, fail("cannot read %q", msg)
			}
			if cur == nil || len(cur.Curve) == 0 {
				return nil, fail("%s before any \"epoch\" line", m[1])
			}
			v, err := num(m[2], m[1])
			if err != nil {
				return nil, err
			}
			if m[1] == "train_acc" {
				cur.Curve[len(cur.Curve)-1].TrainAcc = v
			} else {
				cur.Curve[len(cur.Curve)-1].ValidAcc = v
			}
		case strings.HasPrefix(msg, "Best Training Accuracy") && strings.Contains(msg, "Validation"):
			if err := need("Best accuracies"); err != nil {
				return nil, err
			}
			m := reBest.FindStringSubmatch(msg)
			if m == nil {
				return nil, fail("cannot read %q", msg)
			}
			tr, err := num(m[1], "training accuracy")
			if err != nil {
				return nil, err
			}
			va, err := num(m[2], "validation accuracy")
			if err != nil {
				return nil, err
			}
			cur.TrainAcc, cur.ValidAcc, cur.Complete = tr, va, true
			if cur.Seconds == 0 && !trainFrom.IsZero() && !stamp.IsZero() {
				cur.Seconds = stamp.Sub(trainFrom).Seconds()
			}
		case strings.HasPrefix(msg, "Best Training Accuracy") || strings.HasPrefix(msg, "Best Validation Accuracy"):
			if err := need("Best accuracy"); err != nil {
				return nil, err
			}
			m := reBestOne.FindStringSubmatch(msg)
			if m == nil {
				return nil, fail("cannot read %q", msg)
			}
			v, err := num(m[2], "accuracy")
			if err != nil {
				return nil, err
			}
			if m[1] == "Training" {
				cur.TrainAcc = v
			} else {
				cur.ValidAcc, cur.Complete = v, true
				if !trainFrom.IsZero() && !stamp.IsZero() {
					cur.Seconds = stamp.Sub(trainFrom).Seconds()
				}
			}
		case strings.HasPrefix(msg, "Test Accuracy of"):
			m := reClassAcc.FindStringSubmatch(msg)
			if m == nil {
				return nil, fail("cannot read %q", msg)
			}
			if err := need("class accuracy"); err != nil {
				return nil, err
			}
			k, _ := strconv.Atoi(m[2])
			n, _ := strconv.Atoi(m[3])
			if n > 0 {
				cur.ClassAcc = append(cur.ClassAcc, 100*float64(k)/float64(n))
			}
		case strings.HasPrefix(msg, "Test Accuracy (Overall)"):
			m := reOverall.FindStringSubmatch(msg)
			if m == nil {
				return nil, fail("cannot read %q", msg)
			}
			if err := need("overall test accuracy"); err != nil {
				return nil, err
			}
			v, err := num(m[1], "test accuracy")
			if err != nil {
				return nil, err
			}
			cur.TestAcc = v
		case strings.HasPrefix(msg, "Training Accuracy") && inFinal:
			m := reFinalAcc.FindStringSubmatch(msg)
			if m == nil || lg.Final == nil {
				return nil, fail("cannot read %q", msg)
			}
			tr, err := num(m[1], "training accuracy")
			if err != nil {
				return nil, err
			}
			va, err := num(m[2], "validation accuracy")
			if err != nil {
				return nil, err
			}
			lg.Final.TrainAcc, lg.Final.ValidAcc, lg.Final.Complete = tr, va, true
		case strings.HasPrefix(msg, "Total Search Time"):
			m := reTotal.FindStringSubmatch(msg)
			if m == nil {
				return nil, fail("cannot read %q", msg)
			}
			v, err := num(m[1], "total time")
			if err != nil {
				return nil, err
			}
			lg.TotalSeconds = v
		case reFound.MatchString(msg):
			m := reFound.FindStringSubmatch(msg)
			v, _ := strconv.Atoi(m[2])
			if m[1] == "Depth" {
				lg.FoundDepth = v
			} else {
				lg.FoundWidth = v
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &nas.LineError{Path: name, Line: lineNo + 1, Err: err}
	}
	for i := range lg.Candidates {
		c := &lg.Candidates[i]
		if len(c.Arch.Ops) == 0 {
			return nil, &nas.LineError{Path: name, Line: c.Line, Err: errors.New("candidate has no \"Model Layers\" line")}
		}
	}
	if lg.Final != nil && len(lg.Final.Arch.Ops) == 0 {
		return nil, &nas.LineError{Path: name, Line: lg.Final.Line, Err: errors.New("final architecture has no \"Model Layers\" line")}
	}
	if len(lg.Candidates) == 0 {
		return nil, fmt.Errorf("%s: no candidate blocks (\"Model Depth D Model Width W\" lines) found", name)
	}
	return lg, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Fields(s) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// parseList splits a Python list literal of strings or numbers.
func parseList(s string) []string {
	s = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "["), "]")
	var out []string
	for _, f := range splitTop(s) {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		out = append(out, strings.Trim(f, `'"`))
	}
	return out
}

// splitTop splits at commas outside brackets and quotes.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	var quote rune
	for i, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '[' || c == '(' || c == '{':
			depth++
		case c == ']' || c == ')' || c == '}':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parseNamespace reads "Namespace(a=1, b='x', c=[1, 2])".
func parseNamespace(s string) (map[string]string, error) {
	if !strings.HasPrefix(s, "Namespace(") || !strings.HasSuffix(s, ")") {
		return nil, fmt.Errorf("cannot read the arguments: want Namespace(...)")
	}
	body := s[len("Namespace(") : len(s)-1]
	args := map[string]string{}
	for _, f := range splitTop(body) {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("cannot read argument %q: want name=value", f)
		}
		args[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `'"`)
	}
	return args, nil
}

// Config derives the search configuration from the log's arguments: depth
// and width bounds, width step (width_resolution), target accuracy and its
// tolerance, width drop tolerance (ch_drop_tolerance) and the class count
// (class_labels). The settings the log does not state (depth gain and
// tolerance, margins, layers searched, order) keep DefaultConfig's values,
// and the data are taken to have 3 channels (CIFAR-10). Errors name the
// argument.
func (lg *Log) Config() (nas.Config, error) {
	c := nas.DefaultConfig()
	if lg.Args == nil {
		return c, fmt.Errorf("%s: no \"Arguments = Namespace(...)\" line", lg.Name)
	}
	ints := []struct {
		key string
		dst *int
	}{
		{"min_depth", &c.MinDepth}, {"max_depth", &c.MaxDepth}, {"min_width", &c.MinWidth},
		{"max_width", &c.MaxWidth}, {"width_resolution", &c.WidthStep},
	}
	for _, f := range ints {
		v, ok := lg.Args[f.key]
		if !ok {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return c, &nas.LineError{Path: lg.Name, Line: lg.ArgsLine, Err: fmt.Errorf("argument %s=%q is not an integer", f.key, v)}
		}
		*f.dst = n
	}
	floats := []struct {
		key string
		dst *float64
	}{
		{"target_acc", &c.TargetAcc}, {"target_acc_tolerance", &c.TargetTol}, {"ch_drop_tolerance", &c.WidthDropTol},
	}
	for _, f := range floats {
		v, ok := lg.Args[f.key]
		if !ok {
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return c, &nas.LineError{Path: lg.Name, Line: lg.ArgsLine, Err: fmt.Errorf("argument %s=%q is not a number", f.key, v)}
		}
		*f.dst = x
	}
	if v, ok := lg.Args["class_labels"]; ok {
		c.Classes = len(parseList(v))
	} else if len(lg.Classes) > 0 {
		c.Classes = len(lg.Classes)
	}
	if err := c.Validate(); err != nil {
		return c, &nas.LineError{Path: lg.Name, Line: lg.ArgsLine, Err: err}
	}
	return c, nil
}

// Recipe derives the training recipe from the log's arguments (epochs,
// batch_size, learning_rate, momentum, weight_decay, grad_clip, cutout,
// cutout_length, seed); the rest keeps DefaultRecipe's values.
func (lg *Log) Recipe() (nas.Recipe, error) {
	r := nas.DefaultRecipe()
	set := func(key string, f func(string) error) error {
		v, ok := lg.Args[key]
		if !ok {
			return nil
		}
		if err := f(v); err != nil {
			return &nas.LineError{Path: lg.Name, Line: lg.ArgsLine, Err: fmt.Errorf("argument %s=%q: %v", key, v, err)}
		}
		return nil
	}
	atoi := func(dst *int) func(string) error {
		return func(v string) (err error) { *dst, err = strconv.Atoi(v); return }
	}
	atof := func(dst *float64) func(string) error {
		return func(v string) (err error) { *dst, err = strconv.ParseFloat(v, 64); return }
	}
	for _, e := range []error{
		set("epochs", atoi(&r.Epochs)), set("batch_size", atoi(&r.BatchSize)),
		set("learning_rate", atof(&r.LearningRate)), set("momentum", atof(&r.Momentum)),
		set("weight_decay", atof(&r.WeightDecay)), set("grad_clip", atof(&r.GradClip)),
		set("cutout_length", atoi(&r.CutoutSize)),
		set("cutout", func(v string) error {
			switch v {
			case "True":
				r.Cutout = true
			case "False":
				r.Cutout = false
			default:
				return errors.New("want True or False")
			}
			return nil
		}),
		set("seed", func(v string) (err error) { r.Seed, err = strconv.ParseInt(v, 10, 64); return }),
	} {
		if e != nil {
			return r, e
		}
	}
	return r, r.Validate()
}

// Result returns the candidate as an evaluation result; params and MACs
// are the project's own counts for the given data (MACs of one 32x32 image,
// the size of the published log's CIFAR-10).
func (c Candidate) Result(inCh, classes int) nas.Result {
	return nas.Result{
		Arch: c.Arch.Clone(), TrainAcc: c.TrainAcc, ValidAcc: c.ValidAcc,
		Curve: append([]nas.Epoch(nil), c.Curve...), Params: c.Arch.Params(inCh, classes),
		MACs:        c.Arch.MACs(32, 32, inCh, classes),
		WallSeconds: c.Seconds, ClassAcc: append([]float64(nil), c.ClassAcc...),
	}
}

// Evaluator returns an evaluator that answers from the log: each request is
// served by the next unused complete candidate of the log with that
// architecture. A candidate the log lacks is an error naming it. The
// evaluator is safe for concurrent use.
func (lg *Log) Evaluator(inCh, classes int) nas.Evaluator {
	return &logEvaluator{lg: lg, inCh: inCh, classes: classes, used: map[int]bool{}}
}

type logEvaluator struct {
	lg            *Log
	inCh, classes int
	mu            sync.Mutex
	used          map[int]bool
}

// ErrNotInLog is wrapped by the error of a log evaluator asked for a
// candidate the log lacks.
var ErrNotInLog = errors.New("candidate not in the log")

func (e *logEvaluator) Evaluate(ctx context.Context, a nas.Arch) (nas.Result, error) {
	if err := ctx.Err(); err != nil {
		return nas.Result{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	key := a.Key()
	for i, c := range e.lg.Candidates {
		if c.Complete && !e.used[i] && c.Arch.Key() == key {
			e.used[i] = true
			return c.Result(e.inCh, e.classes), nil
		}
	}
	return nas.Result{}, fmt.Errorf("%w: %s has no trained candidate %s (%s)", ErrNotInLog, e.lg.Name, key, a)
}

// Run runs a fresh search with cfg against the log's evaluator, so
// that the search re-makes the log's decisions without training. The search
// is returned also on error (a candidate the log lacks), holding the
// decisions made before it.
func Run(ctx context.Context, lg *Log, cfg nas.Config) (*nas.Search, error) {
	r, err := runner.New(cfg, nil)
	if err != nil {
		return nil, err
	}
	return r.Search(), r.Run(ctx, lg.Evaluator(cfg.InChannels, cfg.Classes))
}

// Divergence compares the candidates of decisions, in order, with the log's
// candidates and describes the first difference, or returns "" when the two
// sequences are the same.
func (lg *Log) Divergence(ds []nas.Decision) string {
	for i := 0; i < len(ds) || i < len(lg.Candidates); i++ {
		switch {
		case i >= len(ds):
			return fmt.Sprintf("the search made %d candidates, the log has %d (next in the log: line %d, %s)", len(ds), len(lg.Candidates), lg.Candidates[i].Line, lg.Candidates[i].Arch.Key())
		case i >= len(lg.Candidates):
			return fmt.Sprintf("the search made %d candidates, the log has %d", len(ds), len(lg.Candidates))
		case ds[i].Arch.Key() != lg.Candidates[i].Arch.Key():
			return fmt.Sprintf("candidate %d: the search tried %s, the log (line %d) %s", i, ds[i].Arch.Key(), lg.Candidates[i].Line, lg.Candidates[i].Arch.Key())
		}
	}
	return ""
}
