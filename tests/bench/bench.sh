#!/usr/bin/env bash
# make bench: generate synthetic accounts and time lakeform on them.
# Prints wall time and peak RSS per size, and the growth per 10x.
# Figures are this machine's; see docs/performance.md.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=${LF_BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/lakeform-bench.XXXXXX")}
runs=${LF_BENCH_RUNS:-3}
sizes=${LF_BENCH_SIZES:-"1000 10000 100000"}

# best of $runs: wall seconds and peak RSS in MiB of one command
measure() {
	local best_t="" best_m=""
	for _ in $(seq "$runs"); do
		/usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
			cat "$work/err" >&2; return 1; }
		read -r t m <"$work/time"
		if [[ -z $best_t ]] || awk -v a="$t" -v b="$best_t" 'BEGIN{exit !(a<b)}'; then
			best_t=$t best_m=$m
		fi
	done
	echo "$best_t $((best_m / 1024))"
}

printf '%-28s %10s %10s %10s %10s\n' "what" "resources" "seconds" "peak MiB" "x per 10x"
for cmd in validate export; do
	prev=""
	for n in $sizes; do
		dir=$work/acct-$n
		[[ -d $dir ]] || "$here/gen.sh" "$n" "$dir"
		if [[ $cmd == validate ]]; then
			read -r t m < <(measure "$bin" -C "$dir" validate)
		else
			read -r t m < <(measure "$bin" export --json "$dir")
		fi
		ratio=-
		[[ -n $prev ]] && ratio=$(awk -v a="$t" -v b="$prev" 'BEGIN{ if (b > 0) printf "%.1f", a/b; else print "-" }')
		printf '%-28s %10s %10s %10s %10s\n' "$cmd" "$n" "$t" "$m" "$ratio"
		prev=$t
	done
done
[[ -n ${LF_BENCH_DIR:-} ]] || rm -rf "$work"
