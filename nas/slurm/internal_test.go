package slurm

import (
	"os/exec"
	"testing"
	"time"
)

// Internal helpers whose output the Slurm commands or the shell read.

func TestNewState(t *testing.T) {
	for _, tc := range []struct {
		in, exit string
		state    string
		ended    bool
	}{
		{"RUNNING", "", "RUNNING", false},
		{"PENDING", "", "PENDING", false},
		{"COMPLETING", "", "COMPLETING", false},
		{"COMPLETED", "0:0", "COMPLETED", true},
		{"CANCELLED by 0", "0:15", "CANCELLED", true},
		{"FAILED", "7:0", "FAILED", true},
		{"TIMEOUT", "0:0", "TIMEOUT", true},
		{"NODE_FAIL", "", "NODE_FAIL", true},
		{"OUT_OF_MEMORY", "0:125", "OUT_OF_MEMORY", true},
		{"PREEMPTED", "", "PREEMPTED", true},
		{" CANCELLED+ ", "", "CANCELLED", true},
	} {
		st := newState(tc.in, tc.exit)
		if st.State != tc.state || st.Ended != tc.ended || st.ExitCode != tc.exit {
			t.Errorf("newState(%q, %q) = %+v, want state %s ended %v", tc.in, tc.exit, st, tc.state, tc.ended)
		}
	}
}

func TestSlurmTime(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{30 * time.Second, "0-00:01:00"},
		{time.Minute, "0-00:01:00"},
		{90 * time.Minute, "0-01:30:00"},
		{49*time.Hour + time.Second, "2-01:01:00"},
	} {
		if got := slurmTime(tc.d); got != tc.want {
			t.Errorf("slurmTime(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "with space", "it's", `"$HOME" $(x) ; \ *`, "new\nline"} {
		out, err := exec.Command("bash", "-c", "printf %s "+quote(s)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != s {
			t.Errorf("quote(%q) read back by bash as %q", s, out)
		}
	}
}
