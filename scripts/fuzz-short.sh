#!/usr/bin/env bash
# Runs every fuzz target of the Go tree (every module in it) for a short,
# bounded time, one target per `go test` (the -fuzz flag takes one target
# of one package). A failure leaves its input in the package's
# testdata/fuzz/ and the run goes on; the exit status is 1 if any target
# failed, or if a `func Fuzz...` in a test file was not run (a target in a
# file the build leaves out, or one Go does not take for a fuzz target),
# so that a new parser's fuzz target cannot be left out of CI.
#
#   scripts/fuzz-short.sh            # every target, FUZZTIME each (5s)
#   FUZZTIME=30s scripts/fuzz-short.sh ./ingest/
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}
dirs=("${@:-.}")
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# module DIR: the directory of the go.mod that DIR's package belongs to.
module() {
	local d=$1
	until [[ -f $d/go.mod || $d == . || $d == / ]]; do d=$(dirname "$d"); done
	echo "$d"
}

# "dir<TAB>FuzzName" for every `func Fuzz...` in a test file: what the
# tree's text says its fuzz targets are.
declared=$(grep -rEo --include='*_test.go' --exclude-dir=node_modules --exclude-dir=.git --exclude-dir=testdata \
	'^[[:space:]]*func[[:space:]]+Fuzz[A-Za-z0-9_]*' "${dirs[@]}" |
	while IFS=: read -r file decl; do
		dir=$(dirname "${file#./}")
		[[ $decl =~ (Fuzz[A-Za-z0-9_]*) ]] && printf '%s\t%s\n' "${dir#./}" "${BASH_REMATCH[1]}"
	done | sort -u)

# deadline_race LOG: the run failed only with a bare "context deadline
# exceeded" as -fuzztime ran out, and wrote no failing input. That is Go's
# fuzz coordinator racing its own deadline (go.dev/issue/75804, fixed in
# Go 1.27), not a finding: such a target is run once more, and fails if it
# fails again. A written input, a panic or a test error is never retried.
deadline_race() {
	grep -q 'context deadline exceeded' "$1" &&
		! grep -qE 'Failing input written to|panic:|_test\.go:[0-9]+:' "$1"
}

start=$(date +%s)
failed=()
ran=()
# What `go test -list` says are the fuzz targets of those packages, run
# from each package's own module.
for dir in $(cut -f1 <<<"$declared" | sort -u); do
	mod=$(module "$dir")
	rel=./${dir#"$mod"}
	rel=${rel/#.\/\//./}
	if ! names=$(cd "$mod" && $GO test -list '^Fuzz' "$rel" 2>"$log" | grep -E '^Fuzz'); then
		echo "FAIL $dir: go test -list found no fuzz target"
		tail -n 20 "$log"
		failed+=("$dir (list)")
		continue
	fi
	for name in $names; do
		t0=$(date +%s)
		fuzz() { (cd "$mod" && $GO test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" "$rel") >"$log" 2>&1; }
		if fuzz; then
			echo "ok   $dir $name ($(($(date +%s) - t0))s)"
		elif deadline_race "$log" && fuzz; then
			echo "ok   $dir $name ($(($(date +%s) - t0))s; once more after Go's -fuzztime deadline race, go.dev/issue/75804)"
		else
			echo "FAIL $dir $name"
			tail -n 20 "$log"
			failed+=("$dir $name")
		fi
		ran+=("$dir	$name")
	done
done

echo "${#ran[@]} fuzz targets, ${FUZZTIME} each, in $(($(date +%s) - start))s"
# Every declared target must have run.
missing=$(comm -23 <(echo "$declared") <(printf '%s\n' "${ran[@]}" | sort -u))
if [[ -n $missing ]]; then
	echo "declared but not run (not built, or not a func FuzzXxx(*testing.F)):"
	sed 's/^/  /' <<<"$missing"
	failed+=("unrun targets")
fi
if ((${#failed[@]})); then
	printf 'failed: %s\n' "${failed[@]}"
	exit 1
fi
