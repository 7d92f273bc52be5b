#!/usr/bin/env bash
# docker-bench.sh [LAKEFORM_BINARY] - how long the docker provider takes to
# apply a classic plane of 10 nodes on podman, and to refresh it.
#
# Starts its own podman service (tests/integration/docker/engine.sh), makes
# a configuration with one classic workspace of DOCKER_BENCH_NODES nodes
# (default 10), made DOCKER_BENCH_PARALLEL at a time (default 4, the
# provider's default) and, DOCKER_BENCH_RUNS times (default 3): apply from nothing,
# refresh, plan (no changes), refresh after one node was removed behind
# lakeform's back, the apply that heals it, and destroy; then, as the
# floor, the same containers made and removed with `podman run -d` and
# `podman rm -f` one after the other.  Prints one line
# per step and run, then the medians.  Needs root, podman, runc and
# busybox-static, like the test.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
lf=${1:-$top/build/bin/lakeform}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
nodes=${DOCKER_BENCH_NODES:-10}
runs=${DOCKER_BENCH_RUNS:-3}
width=${DOCKER_BENCH_PARALLEL:-4} # the provider's parallel_nodes setting
scratch=$(mktemp -d)
prefix=lfb$$-
img=localhost/lakeform-bench-$$:1

# shellcheck source=../integration/docker/engine.sh
. "$top/tests/integration/docker/engine.sh"
cleanup() {
	if [[ -n $ENGINE_PID ]]; then
		engine_sweep "$prefix"
		engine_stop
	fi
	rm -rf "$scratch"
}
trap cleanup EXIT
engine_start "$scratch" "$img" || exit 1
export DOCKER_HOST=unix://$ENGINE_SOCK

cfg=$scratch/plane
cp -r "$top/examples/podman" "$cfg"
rm -rf "$cfg/.lakeform"
sed -i "s|prefix: lf-|prefix: $prefix\n      parallel_nodes: $width|" "$cfg/lakeform.yaml"
sed -i "s|localhost/lakeform-node:1|$img|; s|nodes: 3|nodes: $nodes|; s|10.40.0.0/24|10.42.0.0/24|" \
	"$cfg/10-workspace.yaml"

declare -A times
timed() { # STEP COMMAND...: run, record the wall time in seconds
	local step=$1 t0 t1 d
	shift
	t0=$(date +%s.%N)
	if ! "$@" >"$scratch/out" 2>&1; then
		echo "docker-bench: '$step' failed:" >&2
		tail -n 5 "$scratch/out" >&2
		exit 1
	fi
	t1=$(date +%s.%N)
	d=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
	times[$step]+="$d "
	printf '  %-28s %6.2f s\n' "$step" "$d"
}
running() { podman ps --filter "label=lakeform/pool=etl" --filter "name=^$prefix" -q | wc -l; }

echo "docker provider on podman $(podman version --format '{{.Server.Version}}' 2>/dev/null), $nodes nodes, parallel_nodes $width, $(nproc) cpus"
for run in $(seq 1 "$runs"); do
	echo "run $run"
	timed "apply ($nodes nodes from nothing)" "$lf" -C "$cfg" apply --auto-approve
	[[ $(running) -eq $nodes ]] || { echo "docker-bench: $(running) nodes running, not $nodes" >&2; exit 1; }
	timed "refresh" "$lf" -C "$cfg" refresh
	timed "plan (no changes)" "$lf" -C "$cfg" plan --detailed-exitcode
	podman rm -f -t 0 "${prefix}etl-1" >/dev/null
	timed "refresh (a node removed)" "$lf" -C "$cfg" refresh
	timed "apply (heal one node)" "$lf" -C "$cfg" apply --auto-approve
	timed "destroy" "$lf" -C "$cfg" destroy --auto-approve
done
# the floor: the same containers made by podman's own command line
baseline() {
	podman network create "${prefix}base" >/dev/null || return 1
	for i in $(seq 1 "$nodes"); do
		podman run -d --name "${prefix}base-$i" --network "${prefix}base" --cpus 0.5 -m 256m \
			"$img" sleep 3600 >/dev/null || return 1
	done
}
unbaseline() {
	for i in $(seq 1 "$nodes"); do podman rm -f -t 0 "${prefix}base-$i" >/dev/null || return 1; done
	podman network rm "${prefix}base" >/dev/null
}
echo "baseline"
timed "podman run -d x $nodes" baseline
timed "podman rm -f x $nodes" unbaseline
echo "medians of $runs runs"
for step in "apply ($nodes nodes from nothing)" "refresh" "plan (no changes)" \
	"refresh (a node removed)" "apply (heal one node)" "destroy"; do
	m=$(tr ' ' '\n' <<<"${times[$step]}" | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
	printf '  %-28s %6.2f s\n' "$step" "$m"
done
