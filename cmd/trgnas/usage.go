package main

import (
	"flag"
	"fmt"
	"io"
)

// newFlagSet is the flag set of subcommand name, writing to stderr, whose
// -h has the shape every subcommand shares: "usage: trgnas NAME REQUIRED
// [flags]", the command's summary from the command table, then the flags.
// required lists its required flags, e.g. "--ledger F" ("" when none).
func newFlagSet(name, required string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("trgnas "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		line := fs.Name()
		if required != "" {
			line += " " + required
		}
		fmt.Fprintf(stderr, "usage: %s [flags]\n", line)
		if c, ok := commands[name]; ok {
			fmt.Fprintln(stderr, c.summary)
		}
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	return fs
}
