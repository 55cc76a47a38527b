#!/usr/bin/env bash
# The race check of `make test`: the packages that train, and a real
# two-candidates-at-once search, final step and report, built with -race
# (a race makes the test fail, and the binary exit with status 66).
#
# GoMLX's Go backend runs a graph's ops on several goroutines; in GoMLX
# v0.26.0 (then SimpleGo) it read its buffer-use counters there without a
# lock (backends/simplego exec.go: the read of numUsed in executeNode,
# written under execBuf.mu after each op), which the detector reported as a
# race in the backend, not in this project. The check therefore runs the Go
# backend's ops in sequence ("ops_sequential"); the project's own kernels
# keep their parallel workers, and the search its parallel candidates.
#
# -race turns on checkptr, which aborts in compute v0.1.3's Go backend (its
# dot/matmul kernels do uintptr arithmetic that checkptr reports as "points
# to invalid allocation"; their no_unsafe build tag does not compile), so
# checkptr is off for compute's packages only: the race detector still
# covers them, and checkptr the project's own code.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
SIMD=${SIMD-$([ "$($GO env GOARCH)" = amd64 ] && echo GOEXPERIMENT=simd)}
backend=go:ops_sequential
nocheckptr='-gcflags=github.com/gomlx/compute/...=-d=checkptr=0'

# nas/layers and nas/backend/cpu's own tests are left out: they build Go
# backends in their default parallel mode to compare against, so the
# detector would report the backend's race there; the kernels under
# nas/backend/cpu (conv, norm, fast) run their worker pools without the Go
# backend and are in.
echo "race: go test -race (nas, nas/runner, nas/train, data, nas/backend/cpu/conv, norm, fast)"
env $SIMD TRGNAS_TEST_BACKEND=$backend $GO test -race "$nocheckptr" -count=1 ./nas/ ./nas/runner/ ./nas/ledger/ ./nas/train/ ./data/ ./nas/backend/cpu/conv/ ./nas/backend/cpu/norm/ ./nas/backend/cpu/fast/

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "race: a search with two candidates in flight, its final step and report, built with -race"
env $SIMD $GO build -race "$nocheckptr" -o "$tmp/trgnas" ./cmd/trgnas
"$tmp/trgnas" search --ledger "$tmp/l.jsonl" --backend $backend --dataset synthetic --synth-n 400 --synth-size 8 \
  --epochs 2 --batch 32 --min-depth 2 --max-depth 3 --min-width 4 --max-width 8 --width-step 4 --parallel 2 >/dev/null
"$tmp/trgnas" final --ledger "$tmp/l.jsonl" --epochs 1 --backend $backend --quiet >/dev/null
"$tmp/trgnas" report --ledger "$tmp/l.jsonl" >/dev/null
echo "race: clean"
