#!/usr/bin/env bash
# run-quickstart.sh sets up Jupyter and GoNB (scripts/setup-notebooks.sh),
# executes notebooks/quickstart.ipynb headless on the GoNB kernel, checks that
# no cell failed, and writes the executed notebook and an HTML copy:
#   out/quickstart.ipynb and out/quickstart.html
# The search is recorded in notebooks/work/quickstart.jsonl: a second run
# replays it instead of training again (delete the file to start over).
# TRGNAS_NOTEBOOK_CI=1 selects the notebook's tiny budget (every cell runs, the
# numbers say little).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

bash scripts/setup-notebooks.sh --no-check
export PATH="$(go env GOPATH)/bin:$PATH"

mkdir -p out
budget=full
if [ "${TRGNAS_NOTEBOOK_CI:-}" = 1 ]; then budget="CI (TRGNAS_NOTEBOOK_CI=1)"; fi
echo "run-quickstart: executing notebooks/quickstart.ipynb, budget $budget"
start=$(date +%s)
jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=7200 \
	--output-dir out --output quickstart.ipynb notebooks/quickstart.ipynb 2>out/quickstart.log ||
	{
		tail -40 out/quickstart.log >&2
		echo "run-quickstart: nbconvert failed (full log: out/quickstart.log)" >&2
		exit 1
	}
echo "run-quickstart: executed in $(($(date +%s) - start)) s"
go run ./scripts/nbcheck -png 3 -print "found network:" -print "final training:" -print "test accuracy:" out/quickstart.ipynb ||
	{
		echo "run-quickstart: a cell of the quickstart failed; see out/quickstart.ipynb" >&2
		exit 1
	}
jupyter nbconvert --to html --output-dir out --output quickstart.html out/quickstart.ipynb 2>>out/quickstart.log
echo "run-quickstart: wrote $root/out/quickstart.ipynb and $root/out/quickstart.html"
