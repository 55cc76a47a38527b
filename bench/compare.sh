#!/bin/sh
# One command for the GoMLX vs PyTorch training-speed comparison: builds
# trgnas, then runs `trgnas bench --compare`, which measures each network
# with the pure-Go backend and with PyTorch back to back (each in its own
# process, for a per-network peak RSS), repeated, and prints the ratios.
#
#   bench/compare.sh                      # 3 repetitions, all networks
#   bench/compare.sh --repeat 1 --nets sep16 --steps 5
#
# Extra arguments go to `trgnas bench`. PYTHON overrides the interpreter
# (default: the first of python3, /usr/bin/python3 that imports torch).
# TRGNAS_CPU=avx2 holds both sides to AVX2 (TORCH_ISA=native: only ours).
set -eu
cd "$(dirname "$0")/.."
if [ -z "${PYTHON:-}" ]; then
	for p in python3 /usr/bin/python3; do
		if "$p" -c 'import torch' >/dev/null 2>&1; then PYTHON=$p; break; fi
	done
fi
if [ -z "${PYTHON:-}" ]; then
	echo "compare.sh: no python3 with torch (Debian: apt-get install -y python3-torch)" >&2
	exit 1
fi
bin=${TRGNAS_BIN:-$(mktemp -d)/trgnas}
# amd64: the convolution kernels' AVX2 path (see the Makefile); SIMD= builds plain Go.
simd=${SIMD-$( [ "$(go env GOARCH 2>/dev/null)" = amd64 ] && echo GOEXPERIMENT=simd || true)}
[ -n "${TRGNAS_BIN:-}" ] || env $simd go build -o "$bin" ./cmd/trgnas
export GOMLX_BACKEND="${GOMLX_BACKEND:-go}"
kernels=go
grep -qw avx2 /proc/cpuinfo && kernels=avx2
grep -qw avx512f /proc/cpuinfo && [ "${TRGNAS_CPU:-}" != avx2 ] && kernels=avx512
# With the kernels held to AVX2 on an AVX-512 machine, PyTorch is held to
# AVX2 too (oneDNN and ATen), as on a machine without AVX-512;
# TORCH_ISA=native leaves PyTorch's ISA alone.
torch_isa=native
if [ "${TRGNAS_CPU:-}" = avx2 ] && [ "${TORCH_ISA:-}" != native ]; then
	export ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2
	torch_isa="AVX2 (ONEDNN_MAX_CPU_ISA, ATEN_CPU_CAPABILITY)"
fi
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), kernels: $kernels${TRGNAS_CPU:+ (TRGNAS_CPU=$TRGNAS_CPU)}, PyTorch ISA: $torch_isa"
echo "go: $(go version 2>/dev/null || echo prebuilt) ${simd:-}${TRGNAS_BIN:+ (prebuilt $bin)}, torch: $("$PYTHON" -c 'import torch; print(torch.__version__)'), backend: $GOMLX_BACKEND"
exec "$bin" bench --compare --python "$PYTHON" --script bench/torch_bench.py --repeat 3 "$@"
