// Command trgnas is the headless front door of the TRG-NAS toolkit: search,
// replay and report searches, train single candidates, draw plots and
// benchmark training speed.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/trgnas/trgnas/nas"
)

// command is one subcommand. run receives the arguments after the
// subcommand's name and writes its normal output to stdout.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands is filled by the init functions of the files beside this one,
// one file per subcommand.
var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout, stderr io.Writer) error) {
	commands[name] = command{summary: summary, run: run}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: trgnas <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'trgnas <command> -h' for a command's flags.")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "trgnas: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	if err := c.run(args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0 // -h: the flag set printed the usage
		}
		fmt.Fprintf(stderr, "trgnas %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// parseFlags parses args into fs and refuses positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

// Help texts of flags that several subcommands share.
const (
	annealHelp   = "when the cosine schedule moves: step (every step) or epoch (the published run: at each epoch's start, so the last epoch trains at rate 0)"
	cropHelp     = "random-crop padding in pixels (default: 4 cifar10, 2 mnist and fashion-mnist, 0 synthetic)"
	flipHelp     = "random horizontal flip (default: on for cifar10 and fashion-mnist, off otherwise)"
	testFlipHelp = "score each validation and test image by the mean of its logits and its mirror image's (test-time flip; off by default)"
)

// annealValue is the Recipe.Anneal of an --anneal value: "epoch", the
// published schedule, is the field's zero value, so that such a recipe
// equals the default one (and those of ledgers written before the field).
func annealValue(v string) string {
	if v == nas.AnnealEpoch {
		return ""
	}
	return v
}
