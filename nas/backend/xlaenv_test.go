package backend_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scripts/xla-cuda-env.sh, sourced, points GOMLX_BACKEND at a link to the
// plugin of a jax-cuda13-pjrt installation and puts its CUDA libraries and
// libdevice folder where the plugin and XLA look; without the package it
// fails with a message naming it. The installation here is a stand-in with
// the same layout.
func TestXLACUDAEnvScript(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	script, err := filepath.Abs("../../scripts/xla-cuda-env.sh")
	if err != nil {
		t.Fatal(err)
	}
	site := t.TempDir()
	plugin := filepath.Join(site, "jax_plugins", "xla_cuda13", "xla_cuda_plugin.so")
	for _, d := range []string{"jax_plugins/xla_cuda13", "nvidia/cu13/lib", "nvidia/cudnn/lib", "nvidia/cu13/nvvm/libdevice"} {
		if err := os.MkdirAll(filepath.Join(site, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{plugin, filepath.Join(filepath.Dir(plugin), "__init__.py")} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	source := func(pythonPath string) (string, string, error) {
		cmd := exec.Command("sh", "-c", `. "$1" && printf '%s\n' "$GOMLX_BACKEND" "$LD_LIBRARY_PATH" "$XLA_FLAGS" "$PATH" "$GOPJRT_CUDA_CHECKS"`, "sh", script)
		var env []string
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); k != "XLA_FLAGS" && k != "CUDA_HOME" && k != "PYTHONPATH" && k != "PYTHON" {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "PYTHONPATH="+pythonPath, "PYTHON="+py)
		var out, errOut strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.String(), errOut.String(), err
	}

	out, errOut, err := source(site)
	if err != nil {
		t.Fatalf("sourcing: %v\n%s", err, errOut)
	}
	lines := strings.Split(out, "\n")
	if len(lines) < 5 {
		t.Fatalf("output %q", out)
	}
	link, ok := strings.CutPrefix(lines[0], "xla:")
	if !ok || filepath.Base(link) != "pjrt_c_api_cuda_plugin.so" {
		t.Fatalf("GOMLX_BACKEND=%q, want xla:<dir>/pjrt_c_api_cuda_plugin.so", lines[0])
	}
	defer os.RemoveAll(filepath.Dir(link))
	if to, err := os.Readlink(link); err != nil || to != plugin {
		t.Errorf("%s links to %q (%v), want %s", link, to, err, plugin)
	}
	for _, lib := range []string{"nvidia/cu13/lib", "nvidia/cudnn/lib"} {
		if !strings.Contains(":"+lines[1], ":"+filepath.Join(site, lib)+":") {
			t.Errorf("LD_LIBRARY_PATH=%q lacks %s", lines[1], lib)
		}
	}
	cuda := filepath.Join(site, "nvidia", "cu13")
	if lines[2] != "--xla_gpu_cuda_data_dir="+cuda || !strings.HasPrefix(lines[3], cuda+"/bin:") || lines[4] != "0" {
		t.Errorf("XLA_FLAGS=%q PATH=%q GOPJRT_CUDA_CHECKS=%q, want the folder with nvvm/libdevice, %s", lines[2], lines[3], lines[4], cuda)
	}

	if _, errOut, err = source(t.TempDir()); err == nil || !strings.Contains(errOut, "jax-cuda13-pjrt") {
		t.Errorf("without the package: %v, %q; want a failure naming jax-cuda13-pjrt", err, errOut)
	}
}
