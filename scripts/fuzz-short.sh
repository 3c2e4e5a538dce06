#!/usr/bin/env bash
# Runs every fuzz target of the Go tree for a short, bounded time, one
# target per `go test` (the -fuzz flag takes one target of one package).
# A failure leaves its input in the package's testdata/fuzz/ and the run
# goes on; the exit status is 1 if any target failed.
#
#   scripts/fuzz-short.sh            # every target, FUZZTIME each (5s)
#   FUZZTIME=30s scripts/fuzz-short.sh ./ingest/
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}
dirs=("${@:-.}")

start=$(date +%s)
failed=()
n=0
# "path/to/file_test.go:func FuzzName(" for every fuzz target, package by package.
while IFS=: read -r file name; do
	pkg=./$(dirname "$file")
	t0=$(date +%s)
	if $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$pkg" >/tmp/fuzz-short.$$.log 2>&1; then
		echo "ok   $pkg $name ($(($(date +%s) - t0))s)"
	else
		echo "FAIL $pkg $name"
		tail -n 20 /tmp/fuzz-short.$$.log
		failed+=("$pkg $name")
	fi
	n=$((n + 1))
done < <(grep -rEo --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git \
	'^func Fuzz[A-Za-z0-9_]+' "${dirs[@]}" | sed -E 's#^\./##; s#:func #:#' | sort)
rm -f /tmp/fuzz-short.$$.log

echo "$n fuzz targets, ${FUZZTIME} each, in $(($(date +%s) - start))s"
if ((${#failed[@]})); then
	printf 'failed: %s\n' "${failed[@]}"
	exit 1
fi
