package runner

import (
	"fmt"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
	"github.com/trgnas/trgnas/nas/ledger"
)

// Spec is an experiment: the data, the search configuration and the recipe
// of a candidate. It is the one place that turns them into a ledger header,
// so that the CLI, the notebooks and Slurm jobs name the same data the same
// way, and a cached result is only reused for the same experiment.
type Spec struct {
	Data   data.Spec  `json:"data"`
	Config nas.Config `json:"config"`
	Recipe nas.Recipe `json:"recipe"`
}

// Load reads the training data, holds out the validation split and returns
// them with the ledger header. The data are named as data.Spec.Split names
// them, with the content fingerprint: naming them costs reading them. The
// header's Config takes InChannels and Classes from the data when they are
// 0; set, they must match it.
func (s Spec) Load(versions string) (train, valid *data.Dataset, hdr nas.LedgerHeader, err error) {
	train, valid, name, err := s.Data.Split()
	if err != nil {
		return nil, nil, nas.LedgerHeader{}, err
	}
	cfg := s.Config
	if cfg.InChannels == 0 {
		cfg.InChannels = train.C
	}
	if cfg.Classes == 0 {
		cfg.Classes = len(train.Classes)
	}
	if cfg.InChannels != train.C || cfg.Classes != len(train.Classes) {
		return nil, nil, nas.LedgerHeader{}, fmt.Errorf("spec: config has %d channels and %d classes, the data %d and %d",
			cfg.InChannels, cfg.Classes, train.C, len(train.Classes))
	}
	s.Config = cfg
	return train, valid, s.HeaderFor(name, versions), nil
}

// Header is Load's header, for a caller that needs no data: it reads them.
func (s Spec) Header(versions string) (nas.LedgerHeader, error) {
	_, _, hdr, err := s.Load(versions)
	return hdr, err
}

// HeaderFor is the header of the data named dataset (data.Spec.Split's
// name), for a caller that has read them already or took the name from
// another ledger of the same data.
func (s Spec) HeaderFor(dataset, versions string) nas.LedgerHeader {
	src := s.Data
	return nas.LedgerHeader{Format: nas.LedgerFormat, Config: s.Config, Recipe: s.Recipe, Dataset: dataset, Source: &src, Versions: versions}
}

// Open opens (or creates) the ledger at path for spec and returns a runner
// of its search, resumed from what the ledger holds. It reads the data to
// name them (see Load); a caller that reads them anyway uses Load and
// OpenHeader. Close the runner to release the ledger.
func Open(path string, spec Spec, versions string) (*Runner, error) {
	hdr, err := spec.Header(versions)
	if err != nil {
		return nil, err
	}
	return OpenHeader(path, hdr)
}

// OpenHeader is Open with the header given: from Spec.Load, or built
// directly for results that come from no data.Spec (a replayed log).
func OpenHeader(path string, hdr nas.LedgerHeader) (*Runner, error) {
	l, err := ledger.Open(path, hdr)
	if err != nil {
		return nil, err
	}
	r, err := New(hdr.Config, l)
	if err != nil {
		l.Close()
		return nil, err
	}
	r.closer, r.warns = l, l.Warnings()
	return r, nil
}

// Warnings returns the lines of the ledger Open skipped (see ledger.Open).
func (r *Runner) Warnings() []error { return r.warns }

// Close releases the ledger Open opened; a journal given to New is its
// caller's to close.
func (r *Runner) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}
