#!/usr/bin/env bash
# run.sh (--runs N | --seconds S) FUZZ_DIR TARGET... - run the fuzz targets.
#
# FUZZ_DIR holds the built targets (build/fuzz: fuzz_<name>).  For each
# TARGET, one after the other:
#   1. every input of tests/fuzz/regressions/<name>/ is run once: crashers
#      found before and fixed since must stay fixed;
#   2. the target fuzzes from its seeds (tests/fuzz/corpus/<name>/):
#      --runs N  N inputs (FUZZ_RUNS_<name> for another number for one
#                target), the same ones every time (-seed=1, FUZZ_SEED to
#                change it), new inputs kept in a scratch directory that is
#                removed: what `make test` runs;
#      --seconds S  for S seconds (-max_total_time), new inputs kept in
#                FUZZ_DIR/corpus/<name> for the next long run, crashers in
#                FUZZ_DIR/crashes/<name>: what `make fuzz` runs.
# A target passes when no regression input and no fuzzed input crashed,
# leaked, hung (-timeout=10 s an input) or broke a check of the target.
# Inputs in tests/fuzz/known/<name>/ are crashers found and reported whose
# fix is someone else's and not in yet (tests/fuzz/known/README): each is
# run once and said to crash still or not; they change no count, and
# fuzzing that stops on a crash matching one of their .why expressions is
# reported as known, not failed, so a known bug does not fail every run.
# Prints a line per target with its figures (inputs run, inputs a second,
# coverage edges, corpus size), a crasher's path and the top of its stack,
# and ends with `fuzz: N passed, N failed`; exits 0 iff none failed.
set -uo pipefail

mode=
amount=
case ${1:-} in
--runs | --seconds)
	mode=${1#--}
	amount=${2:?usage: run.sh (--runs N | --seconds S) FUZZ_DIR TARGET...}
	shift 2
	;;
*)
	echo "usage: run.sh (--runs N | --seconds S) FUZZ_DIR TARGET..." >&2
	exit 2
	;;
esac
fz=${1:?usage: run.sh (--runs N | --seconds S) FUZZ_DIR TARGET...}
shift
case $fz in /*) ;; *) fz=$PWD/$fz ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
seed=${FUZZ_SEED:-1}
passed=0
failed=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/lakeform-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# the stack of a crash report, shortened: its first frames in lakeform
stack() {
	grep -E '^(==[0-9]+== ?ERROR|SUMMARY|.*runtime error|fuzz_[a-z]+:)|^ +#[0-9]+ .* in ' "$1" |
		grep -vE ' in (__sanitizer|__asan|__ubsan|fuzzer::|__libc|_start|LLVMFuzzerTestOneInput)' |
		head -n 8 | sed 's/^/     /'
}

# the last value of a libFuzzer status field ("cov: 123") in a log
field() { grep -oE "$1: [0-9]+" "$2" | tail -n 1 | grep -oE '[0-9]+$'; }
stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

for t in "$@"; do
	bin=$fz/fuzz_$t
	corpus=$here/corpus/$t
	regs=$here/regressions/$t
	log=$scratch/$t.log
	if [[ ! -x $bin ]]; then
		echo "FAIL - $t: $bin is not built (make fuzz-build)"
		failed=$((failed + 1))
		continue
	fi
	if [[ ! -d $corpus ]] || [[ -z $(ls -A "$corpus") ]]; then
		echo "FAIL - $t: no seeds in $corpus"
		failed=$((failed + 1))
		continue
	fi

	# 1. the regressions, each run once
	nregs=0
	bad=
	if [[ -d $regs ]]; then
		mapfile -t inputs < <(find "$regs" -type f ! -name 'README*' | sort)
		nregs=${#inputs[@]}
		if ((nregs)); then
			if ! { "$bin" -runs=1 "${inputs[@]}" >"$log" 2>&1; } 2>/dev/null; then
				bad=$(grep -oE 'Running: .*' "$log" | tail -n 1 | sed 's/^Running: //')
			fi
		fi
	fi
	if [[ -n $bad ]] || { ((nregs)) && grep -qE '== ?ERROR|runtime error|^fuzz_' "$log"; }; then
		echo "FAIL - $t: a regression input crashes again: ${bad:-?}"
		stack "$log"
		failed=$((failed + 1))
		continue
	fi

	# the known crashers, each alone (tests/fuzz/known/README)
	sigs=()
	if [[ -d $here/known/$t ]]; then
		while IFS= read -r k; do
			why=$(head -n 1 "$k.why" 2>/dev/null)
			sig=$(sed -n 2p "$k.why" 2>/dev/null)
			[[ -n $sig ]] && sigs+=("$sig")
			if { "$bin" "$k" >"$scratch/known.log" 2>&1; } 2>/dev/null; then
				echo "known - $t: known/$t/$(basename "$k") passes this run (fixed, or a race): ${why:-no .why}"
			else
				echo "known - $t: known/$t/$(basename "$k") still crashes: ${why:-no .why}"
			fi
		done < <(find "$here/known/$t" -type f ! -name 'README*' ! -name '*.why' | sort)
	fi

	# 2. fuzzing
	if [[ $mode == runs ]]; then
		work=$scratch/corpus-$t
		art=$scratch/crashes-$t
		# FUZZ_RUNS_<name>: another number for one target (a slow one)
		runs_var=FUZZ_RUNS_$t
		limit=(-runs="${!runs_var:-$amount}" -seed="$seed")
	else
		work=$fz/corpus/$t
		art=$fz/crashes/$t
		limit=(-max_total_time="$amount")
	fi
	mkdir -p "$work" "$art"
	start=$(date +%s%N)
	# (braces: bash's own "Aborted" notice of a crash goes nowhere)
	{ "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "$work" "$corpus" >"$log" 2>&1; } 2>/dev/null
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	runs=$(stat number_of_executed_units "$log")
	eps=?
	[[ -n $runs ]] && ((ms > 0)) && eps=$((runs * 1000 / ms))
	cov=$(field cov "$log")
	ft=$(field ft "$log")
	units=$(field corp "$log")
	figures="${runs:-?} inputs in $((ms / 1000)).$((ms % 1000 / 100)) s (${eps}/s), ${cov:-?} edges, ${ft:-?} features, corpus ${units:-?}; $nregs regressions replayed"
	crash=$(find "$art" -type f | head -n 1)
	known=
	if ((rc != 0)); then
		for sig in "${sigs[@]}"; do
			grep -qE -- "$sig" "$log" && known=$sig && break
		done
	fi
	if ((rc == 0)) && [[ -z $crash ]]; then
		echo "ok   - $t: $figures"
		passed=$((passed + 1))
	elif [[ -n $known ]]; then
		echo "known - $t: the fuzzing stopped on a known bug (/$known/) after $figures; input: ${crash:-none saved}"
		passed=$((passed + 1))
	else
		if [[ $mode == runs && -n $crash ]]; then
			mkdir -p "$fz/crashes/$t"
			cp "$crash" "$fz/crashes/$t/"
			crash=$fz/crashes/$t/$(basename "$crash")
		fi
		echo "FAIL - $t: exit $rc after $figures; input: ${crash:-none saved}"
		stack "$log"
		[[ $mode == seconds ]] && cp "$log" "$fz/crashes/$t.log"
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
