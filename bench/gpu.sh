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
# The environment (plugin link, CUDA libraries, XLA_FLAGS) comes from
# scripts/xla-cuda-env.sh.
set -eu
bin=${1:?usage: bench/gpu.sh /path/to/trgnas [trgnas bench flags]}
shift
cd "$(dirname "$0")/.."
py=${PYTHON:-python3}
. scripts/xla-cuda-env.sh
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
# GoMLX first, then PyTorch on CUDA, back to back, in one table (--compare).
exec "$bin" bench --nets final --steps 50 --warmup 5 --eval-steps 20 --compare \
	--python "$py" --script bench/torch_bench.py --device cuda --repeat 3 "$@"
