// Command nbcheck reads executed notebooks and fails when a cell failed:
// an error output, or a stderr stream ending in "exit status N" (what a Go
// panic or log.Fatal leaves on the GoNB kernel while nbconvert still exits
// 0). It prints one line per problem, naming the file and the cell.
//
// Usage: go run ./scripts/nbcheck [-png N] EXECUTED.ipynb...
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/trgnas/trgnas/notebooks"
)

func main() {
	pngs := flag.Int("png", 0, "fail unless each notebook shows at least this many image/png outputs")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: nbcheck [-png N] EXECUTED.ipynb...")
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
		if n := nb.Count("image/png"); n < *pngs {
			fmt.Fprintf(os.Stderr, "nbcheck: %s: %d image/png outputs, want at least %d\n", path, n, *pngs)
			bad++
		}
	}
	if bad > 0 {
		os.Exit(1)
	}
}
