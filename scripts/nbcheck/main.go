// Command nbcheck reads executed notebooks and fails when a cell failed:
// an error output, or a stderr stream ending in "exit status N" (what a Go
// panic or log.Fatal leaves on the GoNB kernel while nbconvert still exits
// 0). It prints one line per problem, naming the file and the cell.
//
// With -print PREFIX (repeatable) it also prints the output lines that
// start with PREFIX, e.g. -print "found network:".
//
// Usage: go run ./scripts/nbcheck [-png N] [-print PREFIX] EXECUTED.ipynb...
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/trgnas/trgnas/notebooks"
)

func main() {
	pngs := flag.Int("png", 0, "fail unless each notebook shows at least this many image/png outputs")
	var prefixes []string
	flag.Func("print", "print the output lines that start with this prefix (repeatable)", func(v string) error {
		prefixes = append(prefixes, v)
		return nil
	})
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: nbcheck [-png N] [-print PREFIX] EXECUTED.ipynb...")
		os.Exit(2)
	}
	bad := 0
	for _, path := range flag.Args() {
		nb, err := notebooks.ReadFile(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "nbcheck:", err)
			bad++
			continue
		}
		for _, p := range nb.Problems() {
			fmt.Fprintf(os.Stderr, "nbcheck: %s: %v\n", path, p)
			bad++
		}
		for _, line := range strings.Split(nb.Text(), "\n") {
			for _, p := range prefixes {
				if strings.HasPrefix(line, p) {
					fmt.Println(line)
				}
			}
		}
		if n := nb.Count("image/png"); n < *pngs {
			fmt.Fprintf(os.Stderr, "nbcheck: %s: %d image/png outputs, want at least %d\n", path, n, *pngs)
			bad++
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
