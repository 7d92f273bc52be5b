#!/usr/bin/env bash
# Golden CLI tests.  Each directory tests/cli/<case>/ holds:
#   cmd      a bash script; `lakeform` in it runs the binary under test.  It
#            runs in a scratch copy of the case directory, so it may create
#            inputs (a 50 MB file is made, not committed).
#   stdout   expected standard output   (byte for byte)
#   stderr   expected standard error    (byte for byte)
#   rc       expected exit status
# and any input files the command reads.
# usage: LAKEFORM=path/to/lakeform tests/cli/run.sh RESULT_FILE [CASE...]
# LF_UPDATE_GOLDEN=1 rewrites the expected files from what the binary does
# (then read the diff before committing it).
set -u
here=$(cd "$(dirname "$0")" && pwd)
result=${1:-/dev/null}; shift || true
bin=$(cd "$(dirname "${LAKEFORM:?set LAKEFORM}")" && pwd)/$(basename "$LAKEFORM")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export NO_COLOR=1 LC_ALL=C
export LF_REPO=${LF_REPO:-$(cd "$here/../.." && pwd)}
# records a state matching the manifests, until apply exists (tests/bench/mkstate.c)
export LF_MKSTATE=${LF_MKSTATE:-$LF_REPO/build/tests/mkstate}
export LAKEFORM_SCHEMA_DIR=${LAKEFORM_SCHEMA_DIR:-$LF_REPO/schemas}
passed=0 failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cases=("$@")
if [[ ${#cases[@]} -eq 0 ]]; then
	for d in "$here"/*/; do cases+=("$(basename "$d")"); done
fi

for c in "${cases[@]}"; do
	src=$here/$c
	[[ -f $src/cmd ]] || continue
	work=$scratch/$c
	rm -rf "$work"; mkdir -p "$work"
	cp -a "$src/." "$work/"
	(
		cd "$work" || exit 99
		lakeform() { "$bin" "$@"; }
		export -f lakeform 2>/dev/null
		export bin
		bash -c "lakeform() { \"\$bin\" \"\$@\"; }; source ./cmd" >"$scratch/out" 2>"$scratch/err"
		echo $? >"$scratch/rc"
	)
	if [[ ${LF_UPDATE_GOLDEN:-} == 1 ]]; then
		cp "$scratch/out" "$src/stdout"; cp "$scratch/err" "$src/stderr"; cp "$scratch/rc" "$src/rc"
	fi
	ok=1
	for f in stdout stderr rc; do
		case $f in stdout) got=$scratch/out ;; stderr) got=$scratch/err ;; rc) got=$scratch/rc ;; esac
		if ! cmp -s "$src/$f" "$got"; then
			if [[ $ok -eq 1 ]]; then echo "FAIL $c"; fi
			ok=0
			echo "--- $f differs (expected, then got):"
			diff "$src/$f" "$got" | head -n 20
		fi
	done
	if [[ $ok -eq 1 ]]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
echo "cli: $passed passed, $failed failed" | tee "$result"
[[ $failed -eq 0 ]]
