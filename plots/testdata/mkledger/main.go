// Command mkledger writes the test fixtures of package plots from the
// published TRG-NAS search log: searchlog.jsonl (all 46 candidates with
// their 600-epoch results and the per-epoch points the log has, every 30
// epochs; losses are not in the log) and searchlog-e31.jsonl (the same
// candidates scored by the validation accuracy logged at epoch 30, a
// 31-epoch budget, for the rank-agreement plot).
//
// The accept decisions are written by hand from the log with the rules of
// docs/trgnas.md (the first candidate is the initial "current" and counts
// as accepted). It is a fixture tool, not the replay of package nas.
//
//	go run ./plots/testdata/mkledger nas/testdata/trgnas-cifar10-searchlog.txt plots/testdata
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/trgnas/trgnas/nas"
)

// accepted lists the Seq of the candidates the published search accepted.
var accepted = map[int]string{
	0:  "initial network",
	1:  "95.28 >= 94.86 + 0.25",
	4:  "95.58 >= 95.28 + 0.25",
	6:  "96.00 >= 95.58 + 0.25",
	11: "95.79 >= 96.00 - 0.5",
	12: "95.97 >= 96.00 - 0.5",
	13: "95.51 >= 96.00 - 0.5",
	14: "95.53 >= 96.00 - 0.5",
	16: "95.70 > 95.53 + 0.10",
	18: "96.00 > 95.70 + 0.10",
}

var (
	reStamp  = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) (.*)$`)
	reWidth  = regexp.MustCompile(`Model Width (\d+)`)
	reLayers = regexp.MustCompile(`Model Layers \[([0-9 ]+)\] Model Kernels \[([0-9 ]+)\]`)
	reParams = regexp.MustCompile(`Model Parameters = ([0-9.]+)MB`)
	reEpoch  = regexp.MustCompile(`^epoch (\d+) lr ([0-9.e+-]+)`)
	reTrain  = regexp.MustCompile(`^train_acc ([0-9.]+)`)
	reValid  = regexp.MustCompile(`^valid_acc ([0-9.]+)`)
	reBest   = regexp.MustCompile(`^Best Training Accuracy ([0-9.]+) Best Validation Accuracy ([0-9.]+)`)
)

func ints(s string) []int {
	var v []int
	for _, f := range strings.Fields(s) {
		n, _ := strconv.Atoi(f)
		v = append(v, n)
	}
	return v
}

func num(s string) float64 { f, _ := strconv.ParseFloat(s, 64); return f }

func main() {
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "mkledger:", err)
		os.Exit(1)
	}
}

func run(logPath, dir string) error {
	f, err := os.Open(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	var (
		recs  []nas.Record
		cur   *nas.Record
		stage nas.Stage
		start time.Time
		width int
		last  time.Time
	)
	sc := bufio.NewScanner(f)
	for ln := 1; sc.Scan(); ln++ {
		m := reStamp.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if t, err := time.Parse("2006-01-02 15:04:05.000", m[1]+"."+m[2]); err == nil {
			last = t.UTC()
		}
		msg := strings.TrimSpace(m[3])
		switch {
		case strings.HasPrefix(msg, "RUNNING DEPTH"):
			stage = nas.StageDepth
		case strings.HasPrefix(msg, "RUNNING WIDTH"):
			stage = nas.StageWidth
		case strings.HasPrefix(msg, "RUNNING OPERATION"):
			stage = nas.StageOperation
		case strings.HasPrefix(msg, "RUNNING KERNEL"):
			stage = nas.StageKernel
		case strings.HasPrefix(msg, "FINAL DISCOVERED"):
			stage = ""
		case reWidth.MatchString(msg):
			width, _ = strconv.Atoi(reWidth.FindStringSubmatch(msg)[1])
		case reLayers.MatchString(msg) && stage != "":
			lm := reLayers.FindStringSubmatch(msg)
			a := nas.Arch{Width: width, Ops: ints(lm[1]), Kernels: ints(lm[2])}
			if err := a.Validate(); err != nil {
				return fmt.Errorf("%s:%d: %w", logPath, ln, err)
			}
			rc := nas.DefaultRecipe()
			recs = append(recs, nas.Record{
				Seq: len(recs), Key: a.Key(), Stage: stage, Recipe: rc, Dataset: "cifar10", Seed: 0,
				Result: nas.Result{Arch: a, MACs: a.MACs(32, 32, 3, 10), Backend: "pytorch (published log)"},
			})
			cur = &recs[len(recs)-1]
		case cur == nil:
		case reParams.MatchString(msg):
			p := num(reParams.FindStringSubmatch(msg)[1])
			cur.Result.Params = int(p*1e6 + 0.5)
			if want := cur.Result.Arch.Params(3, 10); want != cur.Result.Params {
				return fmt.Errorf("%s:%d: params %d, Arch.Params says %d", logPath, ln, cur.Result.Params, want)
			}
		case msg == "Training Model...":
			start = last
		case reEpoch.MatchString(msg):
			em := reEpoch.FindStringSubmatch(msg)
			n, _ := strconv.Atoi(em[1])
			cur.Result.Curve = append(cur.Result.Curve, nas.Epoch{Epoch: n, LR: num(em[2])})
		case reTrain.MatchString(msg):
			cur.Result.Curve[len(cur.Result.Curve)-1].TrainAcc = num(reTrain.FindStringSubmatch(msg)[1])
		case reValid.MatchString(msg):
			cur.Result.Curve[len(cur.Result.Curve)-1].ValidAcc = num(reValid.FindStringSubmatch(msg)[1])
		case reBest.MatchString(msg):
			bm := reBest.FindStringSubmatch(msg)
			cur.Result.TrainAcc, cur.Result.ValidAcc = num(bm[1]), num(bm[2])
			cur.Result.WallSeconds = last.Sub(start).Seconds()
			cur.Result.Finished, cur.Time = last, last
			reason, ok := accepted[cur.Seq]
			cur.Accepted = ok
			if ok {
				cur.Reason = "accepted: " + reason
			} else {
				cur.Reason = "rejected"
			}
			cur = nil
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if len(recs) != 46 {
		return fmt.Errorf("%s: %d candidates, want 46", logPath, len(recs))
	}
	if err := write(filepath.Join(dir, "searchlog.jsonl"), recs); err != nil {
		return err
	}
	short := make([]nas.Record, len(recs))
	for i, r := range recs {
		r.Recipe.Epochs = 31
		r.Result.Curve = nil
		var c30 *nas.Epoch
		for j, e := range recs[i].Result.Curve {
			if e.Epoch == 30 {
				c30 = &recs[i].Result.Curve[j]
			}
		}
		if c30 == nil {
			return fmt.Errorf("candidate %d: no epoch 30", r.Seq)
		}
		r.Result.TrainAcc, r.Result.ValidAcc = c30.TrainAcc, c30.ValidAcc
		r.Result.FinalTrainAcc, r.Result.FinalValidAcc = c30.TrainAcc, c30.ValidAcc
		r.Accepted, r.Reason = false, "scored at epoch 30 of the published run"
		short[i] = r
	}
	return write(filepath.Join(dir, "searchlog-e31.jsonl"), short)
}

func write(path string, recs []nas.Record) error {
	var b strings.Builder
	for _, r := range recs {
		j, err := json.Marshal(r)
		if err != nil {
			return err
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
