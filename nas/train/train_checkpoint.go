package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/model/checkpoint"
	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
)

// ModelFile is the file beside a saved checkpoint that describes its model.
const ModelFile = "model.json"

// SavedModel is the content of ModelFile: what is needed to rebuild the
// network of a checkpoint and feed it images.
type SavedModel struct {
	Arch    nas.Arch   `json:"arch"`
	H       int        `json:"h"`
	W       int        `json:"w"`
	C       int        `json:"c"`
	Classes []string   `json:"classes"`
	Mean    []float32  `json:"mean"`
	Std     []float32  `json:"std"`
	Recipe  nas.Recipe `json:"recipe"`
	Dataset string     `json:"dataset"`
}

// Evaluation is the accuracy of a saved model on a dataset.
type Evaluation struct {
	Dataset  string    `json:"dataset"`
	N        int       `json:"n"`
	Acc      float64   `json:"acc"`  // percent
	Loss     float64   `json:"loss"` // mean softmax cross-entropy
	ClassAcc []float64 `json:"class_acc"`
}

// save writes the trained variables (GoMLX checkpoint) and ModelFile into
// dir, which must be empty or absent.
func (r *run) save(dir string) error {
	if err := emptyDir(dir); err != nil {
		return err
	}
	h, err := checkpoint.Build(r.mctx).Dir(dir).Done()
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	if err := h.Save(); err != nil {
		return fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	meta := SavedModel{
		Arch: r.model.Arch, H: r.model.H, W: r.model.W, C: r.model.C, Classes: r.train.Classes,
		Mean: r.mean, Std: r.std, Recipe: r.cfg.Recipe, Dataset: r.train.Name,
	}
	b, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ModelFile), append(b, '\n'), 0o644)
}

// emptyDir creates dir or checks that it holds nothing.
func emptyDir(dir string) error {
	if err := checkEmptyDir(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755)
}

// checkEmptyDir checks that dir is absent or empty.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checkpoint directory: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("checkpoint directory %s is not empty (holds %s): refusing to mix checkpoints", dir, entries[0].Name())
	}
	return nil
}

// LoadModel reads the ModelFile of a checkpoint directory.
func LoadModel(dir string) (SavedModel, error) {
	path := filepath.Join(dir, ModelFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return SavedModel{}, fmt.Errorf("checkpoint: %w", err)
	}
	var m SavedModel
	if err := json.Unmarshal(b, &m); err != nil {
		return SavedModel{}, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	if err := m.Arch.Validate(); err != nil {
		return SavedModel{}, fmt.Errorf("checkpoint: %s: field arch: %w", path, err)
	}
	if len(m.Mean) != m.C || len(m.Std) != m.C {
		return SavedModel{}, fmt.Errorf("checkpoint: %s: fields mean/std have %d/%d values, want c = %d", path, len(m.Mean), len(m.Std), m.C)
	}
	return m, nil
}

// EvalCheckpoint loads the model saved in dir (by Train with
// CheckpointDir) and evaluates it on d (typically the test set) in batches
// of batch images, with the training normalisation. Every variable of the
// network must come from the checkpoint.
func EvalCheckpoint(ctx context.Context, backend compute.Backend, dir string, d *data.Dataset, batch int) (Evaluation, error) {
	if backend == nil {
		return Evaluation{}, fmt.Errorf("eval checkpoint: %w", ErrNoBackend)
	}
	if batch < 1 {
		return Evaluation{}, fmt.Errorf("eval checkpoint: batch %d, must be >= 1", batch)
	}
	if err := ctx.Err(); err != nil {
		return Evaluation{}, err
	}
	saved, err := LoadModel(dir)
	if err != nil {
		return Evaluation{}, err
	}
	if err := d.Validate(); err != nil {
		return Evaluation{}, fmt.Errorf("eval checkpoint: %w", err)
	}
	if d.H != saved.H || d.W != saved.W || d.C != saved.C || len(d.Classes) != len(saved.Classes) {
		return Evaluation{}, fmt.Errorf("eval checkpoint %s: model takes %dx%dx%d images in %d classes, dataset %q has %dx%dx%d in %d classes",
			dir, saved.H, saved.W, saved.C, len(saved.Classes), d.Name, d.H, d.W, d.C, len(d.Classes))
	}
	m := Model{Arch: saved.Arch, H: saved.H, W: saved.W, C: saved.C, Classes: len(saved.Classes)}
	if err := m.Validate(); err != nil {
		return Evaluation{}, fmt.Errorf("eval checkpoint %s: %w", dir, err)
	}
	c := model.New()
	defer c.Finalize()
	h, err := checkpoint.Load(c).Dir(dir).Done()
	if err != nil {
		return Evaluation{}, fmt.Errorf("eval checkpoint %s: %w", dir, err)
	}
	stored := map[string]bool{}
	for name := range h.LoadedVariables() {
		stored[name] = true
	}
	exec, err := model.NewExec(backend, c, func(ctx *model.Scope, x *graph.Node) *graph.Node {
		return m.Logits(ctx, x, false)
	})
	if err != nil {
		return Evaluation{}, fmt.Errorf("eval checkpoint %s: %w", dir, err)
	}
	defer exec.Finalize()
	var ev evaluation
	err = catch("evaluation", func() (err error) {
		ev, err = evaluateExec(ctx, exec, m, d, batch, saved.Mean, saved.Std, true)
		return err
	})
	if err != nil {
		return Evaluation{}, fmt.Errorf("eval checkpoint %s: %w", dir, err)
	}
	for v := range c.IterVariables() {
		if strings.HasPrefix(v.Scope(), "/optimizers") || strings.HasPrefix(v.Name(), "#") || v.Name() == "global_step" {
			continue
		}
		if !stored[v.ParameterName()] {
			return Evaluation{}, fmt.Errorf("eval checkpoint %s: variable %s of the network is not in the checkpoint", dir, v.ScopeAndName())
		}
	}
	return Evaluation{Dataset: d.Name, N: d.N, Acc: ev.acc, Loss: ev.loss, ClassAcc: ev.classAcc}, nil
}
