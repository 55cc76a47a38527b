package backend_test

import (
	"strings"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"

	"github.com/trgnas/trgnas/nas/backend"
)

func TestOpen(t *testing.T) {
	tests := []struct {
		spec, env string
		wantName  string
		wantErr   string
	}{
		{spec: "", env: "", wantName: backend.CPUName},
		{spec: "", env: "go", wantName: backend.CPUName},
		{spec: "go", wantName: backend.CPUName},
		{spec: "go:ops_sequential", wantName: backend.CPUName},
		{spec: "gofill:ops_parallel,parallelism=1", wantName: backend.CPUName},
		{spec: "", env: "gofill", wantName: backend.CPUName},
		{spec: "go:nosuchoption", wantErr: "nosuchoption"},
		{spec: "go:parallelism=x", wantErr: "parallelism"},
		{spec: "nosuchbackend", wantErr: "nosuchbackend"},
		{spec: "", env: "nosuchbackend:x", wantErr: "nosuchbackend"},
	}
	for _, tc := range tests {
		t.Run(tc.spec+"/"+tc.env, func(t *testing.T) {
			t.Setenv(compute.ConfigEnvVar, tc.env)
			b, err := backend.Open(tc.spec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Finalize()
			if got := backend.Name(b); got != tc.wantName {
				t.Errorf("Name = %q, want %q", got, tc.wantName)
			}
			if !b.Capabilities().Operations[compute.OpTypeBatchNormForTraining] {
				t.Errorf("capabilities lack the batch normalization ops")
			}
			// A graph runs (with "parallelism=1" too: it once deadlocked).
			got, err := graph.ExecOnce(b, func(x *graph.Node) *graph.Node {
				return graph.ReduceAllSum(graph.MulScalar(x, 2))
			}, []float32{1, 2, 3})
			if err != nil {
				t.Fatal(err)
			}
			if v := tensors.MustCopyFlatData[float32](got); len(v) != 1 || v[0] != 12 {
				t.Errorf("2*(1+2+3) = %v, want 12", v)
			}
		})
	}
}
