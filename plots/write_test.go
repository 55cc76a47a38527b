package plots_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/trgnas/trgnas/plots"
)

func TestWriteAll(t *testing.T) {
	recs := readLedger(t, "searchlog.jsonl")
	dir := filepath.Join(t.TempDir(), "out")
	var skipped []string
	files, err := plots.WriteAll(recs, dir, plots.Options{
		Compare: readLedger(t, "searchlog-e31.jsonl"),
		Skipped: func(name string, reason error) {
			if !errors.Is(reason, plots.ErrNoData) {
				t.Errorf("skipped %s for %v, want ErrNoData", name, reason)
			}
			skipped = append(skipped, name)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(f) {
		case ".png":
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s: %v", f, err)
			} else if cfg.Width != 7*plots.DPI {
				t.Errorf("%s: width %d px, want %d", f, cfg.Width, 7*plots.DPI)
			}
		case ".svg":
			if !bytes.HasPrefix(b, []byte("<?xml")) || !bytes.Contains(b, []byte("</svg>")) {
				t.Errorf("%s is not a complete SVG document", f)
			}
			d := xml.NewDecoder(bytes.NewReader(b))
			for {
				_, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Errorf("%s: not well-formed XML: %v", f, err)
					break
				}
			}
		}
	}
	want := []string{
		"ranking.png", "ranking.svg", "tradeoff-params.png", "tradeoff-params.svg",
		"tradeoff-macs.png", "tradeoff-macs.svg", "trajectory.png", "trajectory.svg",
		"curves.png", "curves.svg", "agreement.png", "agreement.svg",
	}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("files = %v, want %v", names, want)
	}
	// The published log has no losses.
	if !reflect.DeepEqual(skipped, []string{"loss"}) {
		t.Errorf("skipped = %v, want [loss]", skipped)
	}
	// Only the plots remain in the folder: no temporary files.
	ents, _ := os.ReadDir(dir)
	if len(ents) != len(want) {
		t.Errorf("%d entries in %s, want %d", len(ents), dir, len(want))
	}
	// The SVG carries the title with dataset and budget.
	svg, _ := os.ReadFile(filepath.Join(dir, "ranking.svg"))
	if !strings.Contains(string(svg), "600 epochs per candidate, 46 candidates") || !strings.Contains(string(svg), ">cifar10<") {
		t.Error("ranking.svg does not state dataset and budget")
	}
}
