#!/usr/bin/env bash
# make bench: generate synthetic accounts and time lakeform on them.
#
# For each size: `validate`; `plan` with no changes (the state is recorded by
# tests/bench/mkstate, as a provider that reports its inputs back would); and
# `plan` with 1% of the resources changed.  Prints wall time and peak RSS
# (best of LF_BENCH_RUNS runs) and the growth per 10x resources.  The
# figures are this machine's; docs/performance.md says how to read them.
#
# Then the rows of apply: 10,000 generated resources applied with the
# local providers; 1,000 independent creates on a provider that takes
# 10 ms a call (tests/bench/sleepy) at --parallelism 50, against the ideal
# 0.2 s plus start-up (the same apply making one change); and 100,000
# protocol calls (tests/bench/proto_bench), pipelined as apply sends them
# and one at a time.  Between them, drift on the applied
# 10,000-resource account and on one with 10,000 provider resources.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkstate=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
proto=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
here=$(cd "$(dirname "$0")" && pwd)
export LAKEFORM_SCHEMA_DIR=${LAKEFORM_SCHEMA_DIR:-$(cd "$here/../../schemas" && pwd)}
work=$(mktemp -d "${TMPDIR:-/tmp}/lakeform-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
runs=${LF_BENCH_RUNS:-3}
sizes=${LF_BENCH_SIZES:-"1000 10000 100000"}

# best of $runs: "seconds MiB" of one command (exit 0 or 2 is success)
measure() {
	local best_t="" best_m="" t m rc
	for _ in $(seq "$runs"); do
		rc=0
		/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || rc=$?
		if [[ $rc -ne 0 && $rc -ne 2 ]]; then
			cat "$work/err" >&2
			return 1
		fi
		read -r t m < <(tail -n 1 "$work/time")
		if [[ -z $best_t ]] || awk -v a="$t" -v b="$best_t" 'BEGIN{exit !(a<b)}'; then
			best_t=$t best_m=$m
		fi
	done
	echo "$best_t $((best_m / 1024))"
}

declare -A prev
row() { # what n seconds mib
	local ratio=-
	[[ -n ${prev[$1]:-} ]] && ratio=$(awk -v a="$3" -v b="${prev[$1]}" 'BEGIN{ if (b > 0) printf "%.1f", a/b; else print "-" }')
	printf '%-26s %10s %9s %9s %10s\n' "$1" "$2" "$3" "$4" "$ratio"
	prev[$1]=$3
}

printf 'lakeform %s on %s, %s cores; best of %s runs\n' "$("$bin" version | cut -d' ' -f2)" \
	"$(uname -m)" "$(nproc)" "$runs"
printf '%-26s %10s %9s %9s %10s\n' "what" "resources" "seconds" "peak MiB" "x per 10x"
for n in $sizes; do
	dir=$work/acct-$n
	"$here/gen.sh" "$n" "$dir"
	read -r t m < <(measure "$bin" -C "$dir" validate)
	row "validate" "$n" "$t" "$m"
	"$mkstate" "$dir"
	# the planner alone: mkstate records a state but makes no object, so
	# these plans do not read the providers (--refresh=false)
	read -r t m < <(measure "$bin" -C "$dir" plan --refresh=false --detailed-exitcode)
	row "plan, no changes" "$n" "$t" "$m"
	"$here/gen.sh" "$n" "$dir" 1 # the same files, 1% of resources changed
	read -r t m < <(measure "$bin" -C "$dir" plan --refresh=false --detailed-exitcode)
	row "plan, 1% changed" "$n" "$t" "$m"
	rm -rf "$dir"
done

echo
printf '%-40s %10s %9s\n' "apply" "seconds" "peak MiB"
dir=$work/apply-10000
"$here/gen.sh" 10000 "$dir"
# best of $runs applies, each from nothing (the last one's objects stay)
best_apply() {
	local t m bt="" bm=""
	for _ in $(seq "$runs"); do
		rm -rf "$dir/.lakeform"
		/usr/bin/time -f '%e %M' -o "$work/time" "$bin" -C "$dir" apply --auto-approve > "$work/apply.log"
		read -r t m < <(tail -n 1 "$work/time")
		if [[ -z $bt ]] || awk -v a="$t" -v b="$bt" 'BEGIN{exit !(a<b)}'; then bt=$t bm=$m; fi
	done
	echo "$bt $bm"
}
read -r t m < <(best_apply)
made=$(grep -c ': created$' "$work/apply.log" || true)
printf '%-40s %10s %9s\n' "apply, $made local creates" "$t" "$((m / 1024))"
# what a plan costs once it reads every real object first (the default)
/usr/bin/time -f '%e %M' -o "$work/time" "$bin" -C "$dir" plan --detailed-exitcode > /dev/null
read -r t m < <(tail -n 1 "$work/time")
printf '%-40s %10s %9s\n' "plan with refresh, 2,006 objects read" "$t" "$((m / 1024))"
# drift on what was just applied: every provider resource read, every
# labelled object listed, the manifests expanded; nothing found
read -r t m < <(measure "$bin" -C "$dir" drift)
read_n=$("$bin" -C "$dir" drift | sed -nE 's/^Read ([0-9]+) recorded.*/\1/p')
printf '%-40s %10s %9s\n' "drift, $read_n provider resources read" "$t" "$m"
rm -rf "$dir"
# the same with the local providers' fsyncs off (settings durable: false)
"$here/gen.sh" 10000 "$dir"
printf 'providers:\n  storage: {name: local-storage, settings: {durable: false}}\n  compute: {name: local-compute, settings: {durable: false}}\n' >"$dir/lakeform.yaml"
read -r t m < <(best_apply)
made=$(grep -c ': created$' "$work/apply.log" || true)
printf '%-40s %10s %9s\n' "apply, $made local creates, durable: false" "$t" "$((m / 1024))"
rm -rf "$dir"
# drift on an account with 10,000 provider resources (gen.sh 53500 makes
# 10,016 of them, with 53,500 manifest resources)
dir=$work/drift-10000
"$here/gen.sh" 53500 "$dir"
"$bin" -C "$dir" apply --auto-approve > /dev/null
read -r t m < <(measure "$bin" -C "$dir" drift)
read_n=$("$bin" -C "$dir" drift | sed -nE 's/^Read ([0-9]+) recorded.*/\1/p')
printf '%-40s %10s %9s\n' "drift, $read_n provider resources read" "$t" "$m"
rm -rf "$dir"

bindir=$(dirname "$bin")
dir=$work/sleepy
"$here/sleepy-account.sh" 1000 "$dir"
# best of $runs wall times of one apply on a fresh state; $@: extra flags
best_sleepy() {
	local best="" t
	for _ in $(seq "$runs"); do
		rm -rf "$dir/.lakeform"
		t=$( { /usr/bin/time -f '%e' "$bin" -C "$dir" apply --auto-approve --parallelism 50 "$@" > /dev/null; } 2>&1 | tail -n 1)
		if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
	done
	echo "$best"
}
# start-up: the same command on the same manifests making one change (the
# account's bucket, one 10 ms call, taken off): loading, planning, starting
# the providers, writing the state and stopping them
one=$(best_sleepy --target account/bench)
start=$(awk -v t="$one" 'BEGIN{ printf "%.2f", t - 0.01 }')
best=$(best_sleepy)
# the 1,000 prefixes wait for the bucket and the policy for them: two
# calls more on the way than the 0.2 s of DESIGN's 1,000 independent ones
ideal=$(awk -v s="$start" 'BEGIN{ printf "%.2f", 0.2 + 0.02 + s }')
verdict=$(awk -v b="$best" -v i="$ideal" 'BEGIN{ printf "%.2fx the ideal: %s", b / i, (b <= 1.25 * i ? "within 25%" : "NOT within 25%") }')
printf '%-40s %10s   (ideal %s = 0.2 s + 0.02 s before and after + start-up %s s; %s)\n' \
	"apply, 1000 x 10 ms, parallelism 50" "$best" "$ideal" "$start" "$verdict"
rm -rf "$dir"

# the protocol: best of $runs; pipelined is how apply's executor calls
best_proto() {
	local best="" t
	for _ in $(seq "$runs"); do
		t=$("$proto" "$bindir/lakeform-provider-sleepy" 100000 "$@")
		if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then best=$t; fi
	done
	echo "$best"
}
printf '%-40s %10s\n' "100,000 protocol calls, 64 pipelined" "$(best_proto 1 64)"
printf '%-40s %10s\n' "100,000 protocol calls, one at a time" "$(best_proto 1)"
printf '%-40s %10s\n' "100,000 protocol calls, 8 threads" "$(best_proto 8)"
