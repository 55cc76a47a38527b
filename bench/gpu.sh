#!/bin/sh
# GPU speed check (results: bench/README.md, "GPU: XLA CUDA on an H200"):
# trains the published final network with a prebuilt trgnas binary on
# GoMLX's XLA backend through the PJRT CUDA plugin shipped in
# Python's jax-cuda13-pjrt package, then the same network with PyTorch on
# CUDA. Builds nothing: the GPU machine has no Go. Build the binary on a
# linux/amd64 machine first (the XLA backend needs cgo):
#
#   CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -o bin/trgnas ./cmd/trgnas
#   bench/gpu.sh bin/trgnas [extra trgnas bench flags]
#
# go-xla (v0.4.1, PJRT C API 0.104) wants a file named
# pjrt_c_api_<name>_plugin.so, so a symlink with that name is made in a
# temporary folder. Loaded through the link, the plugin's own search path
# ($ORIGIN) may no longer reach the CUDA libraries of the Python packages
# beside it, so their lib folders go on LD_LIBRARY_PATH. XLA needs libdevice
# and ptxas: XLA_FLAGS names the first CUDA folder found that holds
# nvvm/libdevice (go-xla's default points at its author's machine).
set -eu
bin=${1:?usage: bench/gpu.sh /path/to/trgnas [trgnas bench flags]}
shift
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
dir=$("$py" -c 'import jax_plugins.xla_cuda13 as m, os; print(os.path.dirname(m.__file__))')
so=$(ls "$dir"/xla_cuda_plugin.so 2>/dev/null || ls "$dir"/*.so | head -n 1)
site=$(dirname "$(dirname "$dir")")
tmp=$(mktemp -d)
ln -s "$so" "$tmp/pjrt_c_api_cuda_plugin.so"
libs=$(ls -d "$site"/nvidia/*/lib "$site"/nvidia/*/lib64 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:-}"
cuda_dir=
for d in "${CUDA_HOME:-}" "$site/nvidia/cu13" "$site/nvidia/cuda_nvcc" /usr/local/cuda; do
	if [ -n "$d" ] && [ -d "$d/nvvm/libdevice" ]; then cuda_dir=$d; break; fi
done
if [ -n "$cuda_dir" ]; then
	export XLA_FLAGS="${XLA_FLAGS:---xla_gpu_cuda_data_dir=$cuda_dir}"
	export PATH="$cuda_dir/bin:$PATH"
fi
# The libraries are on LD_LIBRARY_PATH, so go-xla's warning that no nvidia/
# folder sits beside the link is noise.
export GOMLX_NO_AUTO_INSTALL=1 GOPJRT_CUDA_CHECKS=0
export GOMLX_BACKEND="xla:$tmp/pjrt_c_api_cuda_plugin.so"
echo "plugin: $so"
echo "XLA_FLAGS=${XLA_FLAGS:-} GOMLX_BACKEND=$GOMLX_BACKEND"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
# GoMLX first, then PyTorch on CUDA, back to back, in one table (--compare).
exec "$bin" bench --nets final --steps 50 --warmup 5 --eval-steps 20 --compare \
	--python "$py" --script bench/torch_bench.py --device cuda --repeat 3 "$@"
