package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/train"
)

// The line left at an epoch's end says what that epoch did (its last
// rate, its time) and how long the rest should take; after the last epoch
// it promises nothing more.
func TestProgressBarEpochEnd(t *testing.T) {
	var buf bytes.Buffer
	b := &progressBar{w: &buf}
	step := train.Progress{Epoch: 0, Epochs: 2, Step: 157, Steps: 157, LR: 0.05, ETA: 12 * time.Second, ImagesPerSec: 300}
	b.update(step)
	end := step
	end.ETA = 14 * time.Second
	end.Done = &nas.Epoch{Epoch: 0, LR: 0.1, ValidAcc: 68.83, Seconds: 13.6}
	b.update(end)
	last := end
	last.Epoch, last.LR, last.ETA = 1, 0.00002, 0
	last.Done = &nas.Epoch{Epoch: 1, LR: 0.05, ValidAcc: 80.5, Seconds: 13.2}
	b.update(last)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), buf.String())
	}
	first := lines[0][strings.LastIndex(lines[0], "\r")+1:]
	for _, want := range []string{"epoch 1/2", "157/157", "lr 0.05000", "valid 68.83%", "13.6s, about 14s left"} {
		if !strings.Contains(first, want) {
			t.Errorf("end of epoch 1 %q lacks %q", first, want)
		}
	}
	if strings.Contains(first, "ETA") || strings.Contains(first, "lr 0.10000") {
		t.Errorf("end of epoch 1 %q shows the step's ETA or the epoch's first rate", first)
	}
	second := strings.TrimLeft(lines[1], "\r")
	if !strings.Contains(second, "epoch 2/2") || !strings.Contains(second, "lr 0.00002") || strings.Contains(second, "left") || strings.Contains(second, "ETA") {
		t.Errorf("end of the last epoch %q", second)
	}
}

// A shorter line blanks the rest of the longer one before it on the row.
func TestProgressBarPads(t *testing.T) {
	b := &progressBar{}
	long := b.pad(strings.Repeat("x", 30))
	short := b.pad("yy")
	if len(long) != 30 || len(short) != 30 || strings.TrimRight(short, " ") != "yy" {
		t.Errorf("%q %q", long, short)
	}
}
