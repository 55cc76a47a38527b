// Command pjrt-cuda installs the PJRT CUDA plugin and the NVIDIA libraries it
// needs, with the installer of go-xla v0.4.1 (the XLA binding of GoMLX v0.28.2),
// where GoMLX's XLA backend looks for them: DIR/go-xla/nvidia. The
// Dockerfile runs it at build time.
//
// go-xla's own AutoInstall (what GoMLX calls on first use) installs the CUDA
// plugin only when it sees a GPU (/dev/nvidia* or nvidia-smi), which a
// "docker build" does not; this command calls installer.CudaInstall
// directly instead.
//
// Usage: go run ./scripts/pjrt-cuda [-dir /usr/local/lib] [-plugin cuda13] [-version V]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gomlx/go-xla/installer"
)

func main() {
	dir := flag.String("dir", "/usr/local/lib", "library folder; the plugin goes to DIR/go-xla/nvidia")
	plugin := flag.String("plugin", "cuda13", "cuda13 (jax-cuda13-pjrt) or cuda12 (jax-cuda12-pjrt)")
	version := flag.String("version", "latest", "version of the jax-<plugin>-pjrt package on PyPI")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "pjrt-cuda: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	if err := install(*dir, *plugin, *version); err != nil {
		fmt.Fprintln(os.Stderr, "pjrt-cuda:", err)
		os.Exit(1)
	}
}

func install(dir, plugin, version string) error {
	if plugin != "cuda13" && plugin != "cuda12" {
		return fmt.Errorf("-plugin %q: want cuda13 or cuda12", plugin)
	}
	goxla := filepath.Join(dir, "go-xla")
	fmt.Printf("installing PJRT plugin %s version %s and its NVIDIA libraries into %s\n", plugin, version, goxla)
	if err := installer.CudaInstall(plugin, version, goxla, true, installer.Normal); err != nil {
		return err
	}
	so := filepath.Join(goxla, "nvidia", "pjrt_c_api_cuda_plugin.so")
	if _, err := os.Stat(so); err != nil {
		return fmt.Errorf("the installer finished but %s is missing: %w", so, err)
	}
	fmt.Println("installed", so)
	return nil
}
