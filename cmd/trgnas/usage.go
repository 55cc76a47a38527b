package main

import (
	"flag"
	"fmt"
	"strings"
)

// usageFunc returns the fs.Usage of a subcommand, so that every -h has the
// same shape: "usage: trgnas NAME REQUIRED [flags]", the command's summary
// from the command table, then the flags. fs is named "trgnas NAME" and
// required lists its required flags, e.g. "--ledger F" ("" when none).
func usageFunc(fs *flag.FlagSet, required string) func() {
	return func() {
		w := fs.Output()
		line := fs.Name()
		if required != "" {
			line += " " + required
		}
		fmt.Fprintf(w, "usage: %s [flags]\n", line)
		if c, ok := commands[strings.TrimPrefix(fs.Name(), "trgnas ")]; ok {
			fmt.Fprintln(w, c.summary)
		}
		fmt.Fprintln(w, "\nflags:")
		fs.PrintDefaults()
	}
}
