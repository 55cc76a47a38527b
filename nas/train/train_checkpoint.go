package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/tensors"
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
	// AccNoFlip is, for a model trained with Recipe.TestFlip, the accuracy
	// from the images alone.
	AccNoFlip float64 `json:"acc_noflip,omitempty"`
}

// save writes the trained variables (GoMLX checkpoint) and ModelFile into
// dir, which must be empty or absent.
func (r *run) save(dir string) error {
	if err := emptyDir(dir); err != nil {
		return err
	}
	h, err := checkpoint.Build(r.store).Dir(dir).Done()
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
	store := model.NewStore()
	defer store.Finalize()
	if err := loadCheckpoint(store, dir); err != nil {
		return Evaluation{}, fmt.Errorf("eval checkpoint %s: %w", dir, err)
	}
	loaded := &recordingLoader{Loader: store.Loader(), found: map[string]bool{}}
	store.SetLoader(loaded)
	exec, err := newEvalExec(backend, store, m, saved.Recipe.TestFlip)
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
	for v := range store.IterVariables() {
		if strings.HasPrefix(v.Scope(), "/optimizers") || strings.HasPrefix(v.Name(), "#") || v.Name() == "global_step" {
			continue
		}
		if !loaded.found[v.Path()] {
			return Evaluation{}, fmt.Errorf("eval checkpoint %s: variable %s of the network is not in the checkpoint", dir, v.Path())
		}
	}
	return Evaluation{Dataset: d.Name, N: d.N, Acc: ev.acc, Loss: ev.loss, ClassAcc: ev.classAcc, AccNoFlip: ev.noFlip}, nil
}

// recordingLoader is the store's loader (the checkpoint) noting the full
// path of each variable it supplied, so that variables created with their
// initial values instead can be told apart.
type recordingLoader struct {
	model.Loader
	found map[string]bool
}

func (l *recordingLoader) LoadVariable(store *model.Store, fullPath string) (*tensors.Tensor, bool) {
	value, found := l.Loader.LoadVariable(store, fullPath)
	if found {
		l.found[fullPath] = true
	}
	return value, found
}

// Headers of GoMLX's compressed checkpoint files (the .bin beside each
// checkpoint's .json): GoMLX v0.28.2 writes and reads binHeader, and reads
// a file without it as uncompressed data; GoMLX v0.26.0, which earlier
// builds saved checkpoints with, wrote oldBinHeader.
const (
	binHeader    = "gomlx_checkpointss"
	oldBinHeader = "gomlx_checkpoints"
)

// loadCheckpoint attaches the checkpoint saved in dir to store. When GoMLX
// fails to read it and its data files carry oldBinHeader, it is read again
// from a temporary copy whose files carry binHeader instead (the rest of
// each file is the same), so that checkpoints of earlier builds still load.
func loadCheckpoint(store *model.Store, dir string) error {
	_, err := checkpoint.Load(store).Dir(dir).Done()
	if err == nil {
		return nil
	}
	tmp, rewritten, cerr := copyWithBinHeader(dir)
	if tmp != "" {
		defer os.RemoveAll(tmp)
	}
	if cerr != nil || !rewritten {
		return err
	}
	if _, err2 := checkpoint.Load(store).Dir(tmp).Done(); err2 != nil {
		return err
	}
	return nil
}

// copyWithBinHeader copies the files of dir into a new temporary directory,
// replacing oldBinHeader by binHeader at the start of the .bin files, and
// reports whether any file had oldBinHeader.
func copyWithBinHeader(dir string) (tmp string, rewritten bool, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", false, err
	}
	tmp, err = os.MkdirTemp("", "trgnas-checkpoint-")
	if err != nil {
		return "", false, err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return tmp, false, err
		}
		if strings.HasSuffix(e.Name(), ".bin") && bytes.HasPrefix(b, []byte(oldBinHeader)) && !bytes.HasPrefix(b, []byte(binHeader)) {
			b = append([]byte(binHeader), b[len(oldBinHeader):]...)
			rewritten = true
		}
		if err := os.WriteFile(filepath.Join(tmp, e.Name()), b, 0o600); err != nil {
			return tmp, false, err
		}
	}
	return tmp, rewritten, nil
}
