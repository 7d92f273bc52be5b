#!/usr/bin/env bash
# scim-bench.sh [LAKEFORM_BINARY] - how long the scim provider takes to
# apply SCIM_BENCH_USERS users (default 10000) and SCIM_BENCH_GROUPS groups
# (default 1000, each with SCIM_BENCH_MEMBERS users, default 10) to the
# SCIM test server (tests/integration/scim/server.js: SCIMMY, in memory, on
# 127.0.0.1), with /Bulk and without, at --parallelism SCIM_BENCH_PARALLEL
# (default 64, the provider's concurrency).  For each: the apply from
# nothing, the plan right after (reads every object) and the destroy, each
# with its wall time and the number of HTTP requests the server served
# (its GET /stats before and after).  Prints one line per step.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
lf=${1:-$top/build/bin/lakeform}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
users=${SCIM_BENCH_USERS:-10000}
groups=${SCIM_BENCH_GROUPS:-1000}
members=${SCIM_BENCH_MEMBERS:-10}
par=${SCIM_BENCH_PARALLEL:-64}
prefix=${LF_SCIM_PREFIX:-$top/build/scim-server}
scratch=$(mktemp -d)

# shellcheck source=../integration/scim/server.sh
. "$top/tests/integration/scim/server.sh"
trap 'scim_stop; rm -rf "$scratch"' EXIT
if ! scim_install "$prefix" "$scratch/npm.log"; then
	echo "scim-bench: npm install $SCIM_PKGS failed: $(tail -n 1 "$scratch/npm.log")" >&2
	exit 1
fi
scim_free_port || exit 1
port=$SCIM_PORT
export SCIM_TOKEN=bench-$RANDOM$RANDOM

cfg=$scratch/cfg
mkdir -p "$cfg"
cat >"$cfg/lakeform.yaml" <<YAML
providers:
  identity:
    name: scim
    timeout: 5m
    settings:
      url: http://127.0.0.1:$port/scim/v2
      token_env: SCIM_TOKEN
      bulk: auto
      timeout: 2m
YAML
{
	printf 'apiVersion: lakeform/v1\nkind: Account\nmetadata: {name: bench}\n'
	printf 'spec: {default_storage: {bucket: bench-default, region: us-east-1}}\n'
	for ((i = 0; i < users; i++)); do
		printf -- '---\napiVersion: lakeform/v1\nkind: User\nmetadata: {name: u%05d@bench.example}\nspec: {display_name: User %d}\n' "$i" "$i"
	done
	for ((j = 0; j < groups; j++)); do
		printf -- '---\napiVersion: lakeform/v1\nkind: Group\nmetadata: {name: g%04d}\nspec:\n  members:\n' "$j"
		for ((m = 0; m < members; m++)); do
			printf '    - user:u%05d@bench.example\n' $(((j * members + m) % users))
		done
	done
} >"$cfg/identities.yaml"

requests() { curl -sS "http://127.0.0.1:$port/stats" | jq -r ".$1"; }
# step NAME COMMAND...: its time and the requests it cost
step() {
	local name=$1 r0 b0 t0 t1 rc
	shift
	r0=$(requests requests)
	b0=$(requests bulk)
	t0=$(date +%s.%N)
	"$@" >"$scratch/out" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	printf '%-6s %-8s %8.2f s %7d requests (%d of them /Bulk)%s\n' "$mode" "$name" \
		"$(echo "$t1 - $t0" | bc)" $(($(requests requests) - r0)) $(($(requests bulk) - b0)) \
		"$([[ $rc = 0 || $rc = 2 ]] || echo "  FAILED: $(grep -m 3 -E 'error|cannot' "$scratch/out")")"
}

echo "scim-bench: $users users, $groups groups of $members members, --parallelism $par"
for mode in bulk plain; do
	scim_start "$prefix" "$port" "$SCIM_TOKEN" "$([[ $mode = bulk ]] && echo on || echo off)" \
		"$scratch/server.log" || {
		echo "scim-bench: the server did not start: $(tail -n 2 "$scratch/server.log")" >&2
		exit 1
	}
	rm -rf "$cfg/.lakeform"
	step apply "$lf" -C "$cfg" apply -auto-approve --parallelism "$par"
	step plan "$lf" -C "$cfg" plan --detailed-exitcode --parallelism "$par"
	step destroy "$lf" -C "$cfg" destroy -auto-approve --parallelism "$par"
	scim_stop
done
