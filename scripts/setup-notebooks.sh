#!/usr/bin/env bash
# setup-notebooks.sh installs what the TRG-NAS notebooks need on Debian or
# Ubuntu: Jupyter (nbconvert and nbclient, plus the classic notebook UI) and
# the Fashion-MNIST files (dataset-fashion-mnist) from the distribution, goimports and gopls at pinned versions, GoNB v0.11.4, and
# the GoNB kernel registration. It is idempotent: what is already there at the
# right version is skipped. Every step says what it does; a failing step stops
# the script with a message naming the step, and the kernel is registered only
# after everything it needs is installed and checked, so a failure never leaves
# a half-installed kernel.
#
# Usage: scripts/setup-notebooks.sh [--no-ui] [--no-check] [--apt-only] [-h]
#   --no-ui     skip the notebook UI package (headless execution only, as in CI)
#   --no-check  skip the final smoke test (one tiny notebook run on the kernel)
#   --apt-only  install the Debian packages and stop (for a root step before
#               the rest runs as the user who will own the kernel)
#
# apt needs root or sudo; it is skipped when the packages are installed.
# Go binaries go to $(go env GOBIN), or $(go env GOPATH)/bin when GOBIN is
# unset. The kernel spec is written to $JUPYTER_DATA_DIR/kernels/gonb (or
# Jupyter's user data dir) with a PATH that holds Go and those binaries, and
# on amd64 with GOEXPERIMENT=simd, so that notebook cells build the AVX2
# paths of the project's kernels as `make build` does (set
# TRGNAS_KERNEL_SIMD=0 to leave it out).
set -euo pipefail

readonly GONB_VERSION=v0.11.4
readonly TOOLS_VERSION=v0.52.0 # golang.org/x/tools (goimports)
readonly GOPLS_VERSION=v0.23.0 # golang.org/x/tools/gopls (v0.24 needs Go 1.27)
readonly GO_MIN_MINOR=26       # go.mod says go 1.26

ui=1
check=1
aptonly=0
for arg in "$@"; do
	case "$arg" in
	--no-ui) ui=0 ;;
	--no-check) check=0 ;;
	--apt-only) aptonly=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "setup-notebooks: unknown argument $arg (see --help)" >&2
		exit 2
		;;
	esac
done

step=""
say() { echo "setup-notebooks: $*"; }
begin() {
	step="$1"
	say "[$step] ${2:-}"
}
fail() {
	echo "setup-notebooks: FAILED at step [$step]: $*" >&2
	exit 1
}
trap 'rc=$?; if [ $rc -ne 0 ] && [ -n "$step" ]; then echo "setup-notebooks: FAILED at step [$step] (exit status $rc); nothing after it was done" >&2; fi' EXIT

# --- Go ----------------------------------------------------------------------
begin go "checking the Go toolchain"
if ! command -v go >/dev/null 2>&1; then
	if [ -x /usr/local/go/bin/go ]; then
		export PATH="/usr/local/go/bin:$PATH"
	else
		fail "go is not on PATH (install Go 1.${GO_MIN_MINOR} or newer from https://go.dev/dl/)"
	fi
fi
gov=$(go env GOVERSION)
minor=$(echo "$gov" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
if [ -z "$minor" ] || [ "$minor" -lt "$GO_MIN_MINOR" ]; then
	fail "found $gov, need go1.${GO_MIN_MINOR} or newer"
fi
gobin=$(go env GOBIN)
if [ -z "$gobin" ]; then
	gobin="$(go env GOPATH | cut -d: -f1)/bin"
fi
goroot_bin="$(go env GOROOT)/bin"
mkdir -p "$gobin"
export PATH="$gobin:$goroot_bin:$PATH"
say "  $gov, binaries go to $gobin"

# --- apt packages ------------------------------------------------------------
# dataset-fashion-mnist: the Fashion-MNIST idx files (30 MB) that
# --dataset fashion-mnist and notebooks/fashion-mnist.ipynb read.
pkgs=(jupyter-nbconvert python3-nbclient dataset-fashion-mnist)
if [ "$ui" = 1 ]; then
	pkgs+=(jupyter-notebook)
fi
begin apt "Jupyter and dataset packages: ${pkgs[*]}"
missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	say "  already installed, skipping apt"
else
	if ! command -v apt-get >/dev/null 2>&1; then
		fail "apt-get not found: install ${missing[*]} (or their equivalents) by hand"
	fi
	sudo=()
	if [ "$(id -u)" != 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo=(sudo)
		else
			fail "need root or sudo to install ${missing[*]}"
		fi
	fi
	say "  installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
		say "  apt-get install failed; running apt-get update and retrying"
		"${sudo[@]}" apt-get update
		"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}" ||
			fail "apt-get install ${missing[*]} failed"
	fi
fi
command -v jupyter >/dev/null 2>&1 || fail "jupyter is not on PATH after installing ${pkgs[*]}"
jupyter nbconvert --version >/dev/null 2>&1 || fail "jupyter nbconvert does not run"
if [ "$aptonly" = 1 ]; then
	step=""
	say "done (--apt-only): ${pkgs[*]}"
	exit 0
fi

# --- Go tools ----------------------------------------------------------------
# modversion BIN MODULE prints the version of MODULE that BIN was built from.
modversion() {
	[ -x "$1" ] || return 0
	go version -m "$1" 2>/dev/null | awk -v m="$2" '($1 == "mod" || $1 == "dep") && $2 == m { print $3; exit }'
}

# gotool NAME PACKAGE MODULE VERSION COMMAND...: runs COMMAND to install
# $gobin/NAME (built from PACKAGE) unless it is already built from MODULE at
# VERSION, then checks that it is.
gotool() {
	local name=$1 pkg=$2 mod=$3 ver=$4
	shift 4
	begin "$name" "$pkg@$ver"
	if [ "$(modversion "$gobin/$name" "$mod")" = "$ver" ]; then
		say "  already at $ver, skipping"
	else
		"$@" || fail "building $name $ver failed"
	fi
	[ "$(modversion "$gobin/$name" "$mod")" = "$ver" ] ||
		fail "$gobin/$name is not built from $mod $ver"
}

# install_gonb builds GoNB from a scratch module that requires the exact
# version: 'go install gonb@version' asks the proxy for a version list, which
# some proxies refuse.
install_gonb() {
	local scratch rc=0
	scratch=$(mktemp -d)
	(
		cd "$scratch"
		go mod init trgnas.local/gonb-install >/dev/null 2>&1
		go get "github.com/janpfeifer/gonb@$GONB_VERSION"
		GOBIN="$gobin" go install github.com/janpfeifer/gonb
	) || rc=$?
	rm -rf "$scratch"
	return $rc
}

gotool goimports golang.org/x/tools/cmd/goimports golang.org/x/tools "$TOOLS_VERSION" \
	env GOBIN="$gobin" go install "golang.org/x/tools/cmd/goimports@$TOOLS_VERSION"
gotool gopls golang.org/x/tools/gopls golang.org/x/tools/gopls "$GOPLS_VERSION" \
	env GOBIN="$gobin" go install "golang.org/x/tools/gopls@$GOPLS_VERSION"
gotool gonb github.com/janpfeifer/gonb github.com/janpfeifer/gonb "$GONB_VERSION" install_gonb

# --- kernel registration -----------------------------------------------------
begin kernel "registering the GoNB kernel"
datadir="${JUPYTER_DATA_DIR:-$(jupyter --data-dir)}"
final="$datadir/kernels/gonb"
# The kernel runs go and goimports: give it a PATH that has them, whatever
# PATH the notebook server is started with.
kpath=$(printf '%s' "$gobin:$goroot_bin:$PATH" | awk -v RS=: -v ORS=: '!seen[$0]++' | sed 's/:$//')
py=python3
if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; fi
staging=$(mktemp -d)
if ! JUPYTER_DATA_DIR="$staging" "$gobin/gonb" --install >"$staging/install.log" 2>&1; then
	cat "$staging/install.log" >&2
	rm -rf "$staging"
	fail "gonb --install failed"
fi
spec="$staging/kernels/gonb/kernel.json"
kexp=""
if [ "${TRGNAS_KERNEL_SIMD:-1}" != 0 ] && [ "$(go env GOARCH)" = amd64 ]; then
	kexp=simd
fi
"$py" - "$spec" "$kpath" "$kexp" <<'EOF' || { rm -rf "$staging"; fail "could not write PATH into the kernel spec"; }
import json, sys
path, kpath, kexp = sys.argv[1], sys.argv[2], sys.argv[3]
with open(path) as f:
    spec = json.load(f)
env = spec.setdefault("env", {})
env["PATH"] = kpath
if kexp:
    env["GOEXPERIMENT"] = kexp
with open(path, "w") as f:
    json.dump(spec, f, indent=1)
    f.write("\n")
EOF
mkdir -p "$datadir/kernels"
rm -rf "$final.old"
if [ -e "$final" ]; then mv "$final" "$final.old"; fi
mv "$staging/kernels/gonb" "$final"
rm -rf "$final.old" "$staging"
say "  kernel spec: $final/kernel.json${kexp:+ (GOEXPERIMENT=$kexp)}"
# Debian's Jupyter has no 'jupyter kernelspec': check that the spec is in one
# of the data directories Jupyter searches.
jupyter --paths --json | "$py" -c 'import json, os, sys
d = json.load(sys.stdin)["data"]
sys.exit(0 if any(os.path.isfile(os.path.join(p, "kernels", "gonb", "kernel.json")) for p in d) else 1)' ||
	fail "$final is not in a data directory that Jupyter searches (jupyter --paths)"

# --- smoke test --------------------------------------------------------------
if [ "$check" = 1 ]; then
	begin check "running a one-cell notebook on the gonb kernel"
	tmp=$(mktemp -d)
	cat >"$tmp/smoke.ipynb" <<'EOF'
{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
  "source": ["%%\n", "fmt.Println(\"gonb smoke\", 6*7)"]}],
 "metadata": {"kernelspec": {"display_name": "Go (gonb)", "language": "go", "name": "gonb"}},
 "nbformat": 4, "nbformat_minor": 5}
EOF
	if ! (cd "$tmp" && jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=300 \
		--output out.ipynb smoke.ipynb >"$tmp/log" 2>&1) || ! grep -q 'gonb smoke 42' "$tmp/out.ipynb"; then
		cat "$tmp/log" >&2
		rm -rf "$tmp"
		fail "the gonb kernel did not run a cell (the kernel is registered; see the log above)"
	fi
	rm -rf "$tmp"
	say "  ok"
fi

step=""
say "done: jupyter $(jupyter nbconvert --version 2>/dev/null | head -1) (nbconvert), GoNB $GONB_VERSION, goimports $TOOLS_VERSION, gopls $GOPLS_VERSION"
