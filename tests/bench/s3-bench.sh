#!/usr/bin/env bash
# s3-bench.sh [LAKEFORM_BINARY] - wall time and S3 requests of lakeform with
# the s3 provider on examples/s3, against a moto_server started here.
#
# Prints, for `apply` of examples/s3 from nothing, a no-change `refresh`,
# `plan` after it, and `plan` alone: the median wall time of RUNS runs
# (default 5; apply runs once per round, after a destroy) and the S3
# requests each made, counted from the provider's log (one line per
# request, .lakeform/logs/s3.log).  Needs moto_server, /usr/bin/aws, jq.
set -uo pipefail

lf=${1:-build/bin/lakeform}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
runs=${RUNS:-5}
work=$(mktemp -d /tmp/lakeform-s3-bench.XXXXXX)
moto_pid=
trap '[[ -n $moto_pid ]] && kill $moto_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

key=
# shellcheck source=../integration/s3/moto-env.sh
. "$root/tests/integration/s3/moto-env.sh"
moto_find || {
	echo "s3-bench: $moto_why" >&2
	exit 1
}
moto_start || {
	echo "s3-bench: cannot start moto_server with an IAM key (log: $work/moto.log)" >&2
	exit 1
}

cfg=$work/cfg
cp -r "$root/examples/s3" "$cfg"
rm -rf "$cfg/.lakeform"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
requests() { grep -c ' request ' "$cfg/.lakeform/logs/s3.log" 2>/dev/null || echo 0; }
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# timed NAME ARGS...: appends "ms requests" to $work/NAME
timed() {
	local name=$1 r0 t0
	shift
	r0=$(requests)
	t0=$(now_ms)
	"$lf" -C "$cfg" "$@" >"$work/last.out" 2>&1 || {
		echo "s3-bench: lakeform $* failed:" >&2
		tail -n 5 "$work/last.out" >&2
		exit 1
	}
	echo "$(($(now_ms) - t0)) $(($(requests) - r0))" >>"$work/$name"
}

for _ in $(seq "$runs"); do
	timed apply apply --auto-approve
	timed refresh refresh
	timed plan_after_refresh plan
	timed plan plan
	"$lf" -C "$cfg" destroy --auto-approve >"$work/last.out" 2>&1 || exit 1
done
echo "s3 provider on examples/s3 against moto_server (median of $runs):"
for m in apply refresh plan_after_refresh plan; do
	printf '  %-20s %5s ms  %3s S3 requests\n' "$m" "$(cut -d' ' -f1 "$work/$m" | median)" \
		"$(cut -d' ' -f2 "$work/$m" | median)"
done
