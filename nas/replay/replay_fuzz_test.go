package replay_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/nas/replay"
)

// FuzzParseLog checks that no input makes the parser, the config derivation
// or a replay panic.
func FuzzParseLog(f *testing.F) {
	full, err := os.ReadFile(searchLogPath)
	if err != nil {
		f.Fatal(err)
	}
	lines := strings.SplitAfter(string(full), "\n")
	f.Add(strings.Join(lines[:120], ""))
	f.Add(strings.Join(lines[len(lines)-40:], ""))
	f.Add("Model Depth 2 Model Width 4\nModel Layers [0 1] Model Kernels [3 7]\nBest Training Accuracy 1 Best Validation Accuracy 2\n")
	f.Add("Arguments = Namespace(min_depth=1, max_depth=2, class_labels=[0, 1], x='a,b')\n")
	f.Fuzz(func(t *testing.T, s string) {
		lg, err := replay.Parse(strings.NewReader(s), "fuzz.log")
		if err != nil {
			return
		}
		cfg, err := lg.Config()
		if err != nil {
			return
		}
		lg.Recipe()
		cfg.MaxDepth = min(cfg.MaxDepth, cfg.MinDepth+3)
		cfg.MinWidth = max(cfg.MinWidth, cfg.MaxWidth-4*cfg.WidthStep)
		if s, err := replay.Run(context.Background(), lg, cfg); err == nil || s != nil {
			_ = lg.Divergence(s.Decisions())
		}
	})
}
