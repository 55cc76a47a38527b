# The two entry points the README documents:
#   make run    set up Jupyter + GoNB, then execute the quickstart notebook (out/quickstart.{ipynb,html})
#   make check  set up Jupyter + GoNB, then run every test (notebooks executed headless included)
GO ?= go

.PHONY: run check setup test vet build

# On amd64 the kernels of nas/backend/cpu/conv, norm and fast have an AVX2/FMA path
# that needs Go 1.26's experimental SIMD package (the conv GEMM's assembly
# kernel runs in every build); binaries built here use it (it checks the CPU
# at run time and falls back to plain Go). SIMD= builds plain.
SIMD ?= $(if $(filter amd64,$(shell $(GO) env GOARCH)),GOEXPERIMENT=simd,)

build:
	$(SIMD) $(GO) build -o bin/trgnas ./cmd/trgnas

setup:
	bash scripts/setup-notebooks.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed on:"; gofmt -l .; exit 1; }

test: vet
	TRGNAS_NOTEBOOK_TESTS=1 $(GO) test -count=1 -timeout 40m ./...
	# The kernels' vector paths (conv, fast: built only with GOEXPERIMENT=simd).
	GOEXPERIMENT=simd $(GO) vet ./nas/backend/cpu/...
	GOEXPERIMENT=simd $(GO) test -count=1 ./nas/backend/cpu/...
	# The same on the AVX2 path where the CPU has AVX-512 (TRGNAS_CPU=avx2 keeps the kernels off it).
	TRGNAS_CPU=avx2 GOEXPERIMENT=simd $(GO) test -count=1 ./nas/backend/cpu/...
	# The race detector on the packages that train and on a real search.
	GO=$(GO) bash scripts/race.sh

check: setup test

run: setup build
	bash scripts/run-quickstart.sh
