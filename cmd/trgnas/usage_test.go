package main

import (
	"bytes"
	"strings"
	"testing"
)

// subcommands are the commands trgnas has; a new one is added here too.
var subcommands = []string{"bench", "final", "jobs", "plot", "replay", "report", "retrain", "search", "train"}

// TestSubcommandHelp checks that every subcommand's -h has the same shape
// (usage line, the summary of the command table, the flags) and exits 0.
func TestSubcommandHelp(t *testing.T) {
	if len(commands) != len(subcommands) {
		t.Errorf("%d commands registered, the test knows %d: %q", len(commands), len(subcommands), subcommands)
	}
	for _, name := range subcommands {
		c, ok := commands[name]
		if !ok {
			t.Errorf("command %s is not registered", name)
			continue
		}
		for _, h := range []string{"-h", "--help"} {
			var stdout, stderr bytes.Buffer
			if code := run([]string{name, h}, &stdout, &stderr); code != 0 {
				t.Errorf("trgnas %s %s: exit %d, want 0; stderr:\n%s", name, h, code, stderr.String())
			}
			lines := strings.Split(stderr.String(), "\n")
			if !strings.HasPrefix(lines[0], "usage: trgnas "+name+" ") || !strings.HasSuffix(lines[0], "[flags]") {
				t.Errorf("trgnas %s %s: first line %q, want \"usage: trgnas %s ... [flags]\"", name, h, lines[0], name)
			}
			if len(lines) < 2 || lines[1] != c.summary {
				t.Errorf("trgnas %s %s: second line is not the command's summary %q:\n%s", name, h, c.summary, stderr.String())
			}
			if !strings.Contains(stderr.String(), "\nflags:\n  -") {
				t.Errorf("trgnas %s %s: no flags listed:\n%s", name, h, stderr.String())
			}
			if stdout.Len() > 0 {
				t.Errorf("trgnas %s %s wrote to stdout: %q", name, h, stdout.String())
			}
		}
	}
}

// TestUsageListsCommands checks that trgnas -h names every subcommand with
// its summary.
func TestUsageListsCommands(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-h"}, &stdout, &stderr); code != 0 {
		t.Fatalf("trgnas -h: exit %d", code)
	}
	out := stderr.String()
	for _, name := range subcommands {
		if c := commands[name]; !strings.Contains(out, "  "+name+" ") || !strings.Contains(out, c.summary) {
			t.Errorf("trgnas -h does not list %s (%q):\n%s", name, c.summary, out)
		}
	}
}
