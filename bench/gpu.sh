#!/bin/sh
# GPU speed check (NOT YET RUN on a GPU machine): trains the published final
# network with a prebuilt trgnas binary on GoMLX's XLA backend through the
# PJRT CUDA plugin shipped in Python's jax-cuda13-pjrt package, then the
# same network with PyTorch on CUDA. Builds nothing: the GPU machine has no
# Go. Build the binary on a linux/amd64 machine first (the XLA backend needs
# cgo):
#
#   CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -o bin/trgnas ./cmd/trgnas
#   bench/gpu.sh bin/trgnas [extra trgnas bench flags]
#
# The plugin is found as toolchain.md describes; go-xla wants a file named
# pjrt_c_api_<name>_plugin.so, so a symlink with that name is made in a
# temporary folder. XLA_FLAGS is set here (go-xla's default points at its
# author's CUDA directory). Whether the plugin's PJRT API version matches
# what go-xla v0.4.1 expects (PJRT C API 0.104) is unknown until this runs: the error, if any,
# comes from the first trgnas line.
set -eu
bin=${1:?usage: bench/gpu.sh /path/to/trgnas [trgnas bench flags]}
shift
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
dir=$("$py" -c 'import jax_plugins.xla_cuda13 as m, os; print(os.path.dirname(m.__file__))')
so=$(ls "$dir"/xla_cuda_plugin.so 2>/dev/null || ls "$dir"/*.so | head -n 1)
tmp=$(mktemp -d)
ln -s "$so" "$tmp/pjrt_c_api_cuda_plugin.so"
cuda_dir=$("$py" -c 'import nvidia, os; print(os.path.dirname(nvidia.__path__[0]))' 2>/dev/null || echo /usr/local/cuda)
export XLA_FLAGS="${XLA_FLAGS:---xla_gpu_cuda_data_dir=$cuda_dir}"
export GOMLX_NO_AUTO_INSTALL=1
export GOMLX_BACKEND="xla:$tmp/pjrt_c_api_cuda_plugin.so"
echo "plugin: $so"
echo "XLA_FLAGS=$XLA_FLAGS GOMLX_BACKEND=$GOMLX_BACKEND"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || true
# GoMLX first, then PyTorch on CUDA, back to back, in one table (--compare).
exec "$bin" bench --nets final --steps 50 --warmup 5 --eval-steps 20 --compare \
	--python "$py" --script bench/torch_bench.py --device cuda --repeat 3 "$@"
