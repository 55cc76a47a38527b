package nas

import "time"

// Stage names a step of the staged search.
type Stage string

// The stages of the search, in the published order.
const (
	StageDepth     Stage = "depth"
	StageWidth     Stage = "width"
	StageOperation Stage = "operation"
	StageKernel    Stage = "kernel"
)

// Record is one trained candidate in a ledger: one JSON line.
type Record struct {
	Seq         int       `json:"seq"` // 0-based position in the search's decision order
	Key         string    `json:"key"` // Arch.Key()
	Stage       Stage     `json:"stage"`
	Accepted    bool      `json:"accepted"`           // the decision taken on this candidate
	Reason      string    `json:"reason,omitempty"`   // the decision in words, e.g. "accepted: 95.28 >= 94.86 + 0.25"
	Override    bool      `json:"override,omitempty"` // the decision was set by the user, not by the rules
	Speculative bool      `json:"speculative,omitempty"`
	Recipe      Recipe    `json:"recipe"`
	Dataset     string    `json:"dataset"` // name and content fingerprint of the data
	Seed        int64     `json:"seed"`
	Result      Result    `json:"result"`
	Versions    string    `json:"versions,omitempty"` // module and backend versions
	Time        time.Time `json:"time"`
}
