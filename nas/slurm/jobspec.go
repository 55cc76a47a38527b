package slurm

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/trgnas/trgnas/data"
	"github.com/trgnas/trgnas/nas"
)

// JobSpec is a job directory's spec.json: the candidate, the whole recipe
// and the data it is trained with. trgnas train --spec FILE trains from it,
// so nothing travels as command-line text.
type JobSpec struct {
	Key      string     `json:"key"`
	Arch     nas.Arch   `json:"arch"`
	Recipe   nas.Recipe `json:"recipe"`
	Dataset  string     `json:"dataset"` // the data's name with its fingerprint, as the search's ledger has it
	DataArgs string     `json:"data_args,omitempty"`
	Data     *data.Spec `json:"data,omitempty"`
}

// ReadJobSpec reads and checks a spec.json: errors name the file and the
// field.
func ReadJobSpec(path string) (JobSpec, error) {
	var js JobSpec
	b, err := os.ReadFile(path)
	if err != nil {
		return js, err
	}
	if err := json.Unmarshal(b, &js); err != nil {
		return js, fmt.Errorf("%s: %v", path, err)
	}
	if err := js.Arch.Validate(); err != nil {
		return js, fmt.Errorf("%s: arch: %v", path, err)
	}
	if js.Key != js.Arch.Key() {
		return js, fmt.Errorf("%s: key %q is not the arch's (%s)", path, js.Key, js.Arch.Key())
	}
	if err := js.Recipe.Validate(); err != nil {
		return js, fmt.Errorf("%s: recipe: %v", path, err)
	}
	if js.Data == nil {
		return js, fmt.Errorf("%s: no data: written by a search without Config.Data; train it with a Command that passes the data", path)
	}
	if err := js.Data.Validate(); err != nil {
		return js, fmt.Errorf("%s: data: %v", path, err)
	}
	return js, nil
}
