#!/usr/bin/env bash
# run.sh [LAKEFORM_BINARY] - the docker compute provider against a real
# Docker Engine API: Podman's `podman system service`, started here on a
# private socket (engine.sh), with images built here from busybox.
#
# lakeform runs examples/podman (a classic workspace) and
# examples/serverless-podman (two serverless workspaces) with the provider
# `docker`, each copied to a scratch directory with a name prefix of its
# own; every effect is checked independently with `podman ps`, `podman
# inspect` and `podman network`, never by asking lakeform.  Covered: classic
# and serverless apply, no changes after apply, resize (the old nodes keep
# their container ids), an image change rolling the nodes one at a time,
# drift (a node killed, a node removed, the network deleted, a node's labels
# changed) found by refresh + plan and healed by apply, a network that is
# not lakeform's left alone, isolation between serverless workspaces,
# list, a CIDR change moving the nodes to a new network (same containers)
# and deleting the old one, the errors (no socket, permission denied, image
# missing), a compute policy refusing a pool over its limits (the nodes keep
# theirs), and
# destroy leaving nothing behind.  First, the choice of API version against
# a fake engine (negotiate.sh, fake-engine.py).
#
# Needs root (podman's networks), podman, runc and busybox-static
# (scripts/deps.sh installs them).  One line per check, `ok   NAME` or
# `FAIL NAME`; the last line is `docker: N passed, N failed`.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
lf=${1:-$top/build/bin/lakeform}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
provider=$(dirname "$lf")/lakeform-provider-docker

layer=docker
# shellcheck source=../checks.sh
. "$top/tests/integration/checks.sh"

scratch=$(mktemp -d)
check_out=$scratch/check.out
prefix=lft$$-
img1=localhost/lakeform-test-$$:1
img2=localhost/lakeform-test-$$:2
# shellcheck source=engine.sh
. "$here/engine.sh"
cleanup() {
	declare -F fake_stop >/dev/null && fake_stop
	if [[ -n $ENGINE_PID ]]; then
		engine_sweep "$prefix"
		engine_stop
	fi
	rm -rf "$scratch"
}
trap cleanup EXIT

if [[ $(id -u) -ne 0 ]]; then
	fail "runs as root (podman networks need it)"
	finish
fi
for f in "$lf" "$provider"; do
	if [[ ! -x $f ]]; then
		fail "'$f' is built (make all)"
		finish
	fi
done
# ---- API version negotiation, against a fake engine --------------------------

# shellcheck source=negotiate.sh
. "$here/negotiate.sh"

if ! engine_start "$scratch" "$img1" "$img2" 2>"$scratch/engine.err"; then
	fail "podman engine starts" "$(cat "$scratch/engine.err")"
	finish
fi
ok "podman engine starts (runc, image from busybox)"
export DOCKER_HOST=unix://$ENGINE_SOCK

# config NAME EXAMPLE: a copy of the example with this run's prefix and image
config() {
	local dir=$scratch/$1
	rm -rf "$dir"
	cp -r "$top/examples/$2" "$dir"
	rm -rf "$dir/.lakeform"
	sed -i "s|prefix: lf-|prefix: $prefix|" "$dir/lakeform.yaml"
	sed -i "s|localhost/lakeform-node:1|$img1|" "$dir"/*.yaml
	echo "$dir"
}
lfc() { # DIR ARGS...: lakeform in DIR, output to $scratch/out, exit code returned
	local dir=$1
	shift
	"$lf" -C "$dir" "$@" >"$scratch/out" 2>&1
}
plan_clean() { # DIR: refresh, then plan finds nothing to change
	lfc "$1" refresh && lfc "$1" plan --detailed-exitcode
}
plan_shows() { # DIR TEXT: refresh, then plan exits 2 and mentions TEXT
	local rc
	lfc "$1" refresh || return 1
	lfc "$1" plan --detailed-exitcode
	rc=$?
	[[ $rc -eq 2 ]] && grep -qF -- "$2" "$scratch/out"
}
running() { # POOL: names of the running nodes of a pool, sorted
	podman ps --filter "label=lakeform/pool=$1" --filter "name=^$prefix" \
		--format '{{.Names}}' | sort
}
count_running() { running "$1" | grep -c . ; }
ids() { # POOL: "name id" of every node, sorted
	podman ps -a --filter "label=lakeform/pool=$1" --filter "name=^$prefix" \
		--format '{{.Names}} {{.ID}}' | sort
}
inspect() { podman inspect --format "$2" "$1" 2>/dev/null; }
net_field() { podman network inspect --format "$2" "$1" 2>/dev/null; }

# a /24 of its own, so that another run on the same engine does not collide
octet=$((40 + $$ % 200))
cidr=10.$octet.0.0/24
classic=$(config classic podman)
sed -i "s|10.40.0.0/24|$cidr|" "$classic/10-workspace.yaml"
serverless=$(config serverless serverless-podman)
net=${prefix}etl

# ---- classic apply ----------------------------------------------------------

check "classic: apply" lfc "$classic" --verbose apply --auto-approve
podman_version=$(podman version --format '{{.Server.Version}}' 2>/dev/null)
check "classic: apply --verbose names Podman $podman_version, its API 1.24 to 1.41, and 1.41 chosen" \
	grep -q "docker engine at .*: Podman $podman_version, API 1\.24 to 1\.41; using API 1\.41 " "$scratch/out"
check "classic: network exists" podman network exists "$net"
check "classic: network has the customer cidr $cidr" \
	bash -c "podman network inspect $net | grep -qF '\"subnet\": \"$cidr\"'"
check "classic: network is not internal" \
	test "$(net_field "$net" '{{.Internal}}')" = false
check "classic: network labels (account, address, plane, region)" \
	test "$(net_field "$net" '{{index .Labels "lakeform/account"}} {{index .Labels "lakeform/address"}} {{index .Labels "lakeform/plane"}} {{index .Labels "lakeform/region"}}')" \
	= "hooli compute.network/etl classic eu-west-1"
check "classic: 3 nodes running" test "$(count_running etl)" = 3
node=${prefix}etl-2
check "classic: node has 0.5 cpu (NanoCpus)" test "$(inspect "$node" '{{.HostConfig.NanoCpus}}')" = 500000000
check "classic: node has 256 MiB (Memory)" test "$(inspect "$node" '{{.HostConfig.Memory}}')" = 268435456
check "classic: node runs the configured image" test "$(inspect "$node" '{{.Config.Image}}')" = "$img1"
check "classic: node labels (account, workspace, address, index)" \
	test "$(inspect "$node" '{{index .Config.Labels "lakeform/account"}} {{index .Config.Labels "lakeform/workspace"}} {{index .Config.Labels "lakeform/address"}} {{index .Config.Labels "lakeform/node"}}')" \
	= "hooli etl compute.node_pool/etl 2"
check "classic: node attached to the workspace network" \
	bash -c "podman inspect $node | grep -q '\"$net\"'"
check "classic: node address in $cidr" \
	bash -c "podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' $node | grep -q '^10\.$octet\.0\.'"
check "classic: plan after apply finds no changes" plan_clean "$classic"
check "classic: apply again changes nothing" \
	bash -c "'$lf' -C '$classic' apply --auto-approve | grep -q '^No changes'"

# ---- a compute policy (docs/usage.md) --------------------------------------
# attached to etl by name, with the pool's own values as its limits: the
# pool passes; raised over them, apply refuses before any change, and the
# containers keep the limits the policy allows
cat >"$classic/20-compute-policy.yaml" <<'EOF'
# the pool of etl within limits of its own (docs/usage.md)
apiVersion: lakeform/v1
kind: ComputePolicy
metadata:
  name: small-nodes
spec:
  workspaces: [etl]
  max_nodes: 3
  max_cpus: 0.5
  max_memory_mb: 256
  images: ["localhost/lakeform-*"]
EOF
check "compute policy: a pool within its limits plans no change" plan_clean "$classic"
sed -i 's/cpus: 0.5/cpus: 1/; s/memory_mb: 256/memory_mb: 512/' "$classic/10-workspace.yaml"
check "compute policy: apply refuses a pool over max_cpus and max_memory_mb, naming both positions" \
	bash -c "! '$lf' -C '$classic' apply --auto-approve >'$scratch/out' 2>&1 &&
		grep -qF \"10-workspace.yaml:17:11: 'workspace/etl' violates compute policy 'small-nodes' (spec.max_cpus at 20-compute-policy.yaml:9:13)\" '$scratch/out' &&
		grep -qF \"10-workspace.yaml:18:16: 'workspace/etl' violates compute policy 'small-nodes' (spec.max_memory_mb at 20-compute-policy.yaml:10:18)\" '$scratch/out'"
check "compute policy: every node keeps 0.5 CPU and 256 MiB (podman inspect: NanoCpus, Memory)" \
	test "$(for n in $(running etl); do inspect "$n" '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}'; done | sort -u)" = "500000000 268435456"
check "compute policy: still 3 nodes" test "$(count_running etl)" = 3
sed -i 's/cpus: 1$/cpus: 0.5/; s/memory_mb: 512/memory_mb: 256/' "$classic/10-workspace.yaml"
rm "$classic/20-compute-policy.yaml"
# ---- usage: the running nodes and their uptime, from the engine -------------
# A copy of the configuration (its state too) with a price list, so the
# classic one stays as it is.  By hand: 3 nodes x (0.5 CPU x 0.04 + 0.25
# GiB x 0.005) x 730 hours = 46.5375, 46.54 EUR a month.
priced=$scratch/priced
rm -rf "$priced"
cp -r "$classic" "$priced"
cat >"$priced/90-prices.yaml" <<'YAML'
apiVersion: lakeform/v1
kind: PriceList
metadata:
  name: list
spec:
  currency: EUR
  regions:
    eu-west-1: {cpu_hour: 0.04, memory_gib_hour: 0.005, storage_gib_month: 0.02}
YAML
sleep 2
check "usage: exit 0" lfc "$priced" usage --json
cp "$scratch/out" "$scratch/usage.json"
ujq() { jq -r ".workspaces[] | select(.workspace == \"etl\") | $1" "$scratch/usage.json" 2>/dev/null; }
check "usage: 3 running nodes (the engine's State.Running)" test "$(ujq .running_nodes)" = 3
# the uptime lakeform counts, against the engine's own StartedAt
started=$(for n in $(running etl); do date -d "$(inspect "$n" '{{.State.StartedAt}}' | sed 's/ [A-Z]*$//')" +%s; done)
now=$(date +%s)
want=0
for s in $started; do want=$((want + now - s)); done
got=$(ujq .uptime_seconds)
check "usage: uptime $got s, the sum of now - StartedAt ($want s) within 10 s" \
	bash -c "[[ -n '$got' && -n '$want' ]] && (( $got >= 6 && $got - $want <= 10 && $want - $got <= 10 ))"
check "usage: priced by hand, 46.54 EUR a month" test "$(ujq .monthly.compute)" = 46.54
check "usage: the text names the workspace and its nodes" \
	bash -c "'$lf' -C '$priced' usage | grep -Eq '^  etl +[0-9.]+ [KMGT]?i?B +[0-9]+ +3 '"

# ---- one node off its network: that node is rolled, not the pool ------------

before=$(ids etl)
podman network disconnect "$net" "${prefix}etl-2" >/dev/null 2>&1
check "node off its network: node 2 has no network now" \
	test -z "$(inspect "${prefix}etl-2" '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}')"
check "node off its network: refresh + plan shows nodes 2 -> 3" plan_shows "$classic" "nodes: 2 -> 3"
check "node off its network: the plan changes the pool in place, replaces nothing" \
	bash -c "grep -q 'Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy' '$scratch/out' &&
		! grep -q 'forces replacement' '$scratch/out'"
check "node off its network: apply heals" lfc "$classic" apply --auto-approve
check "node off its network: node 2 is on the network again" \
	test "$(inspect "${prefix}etl-2" '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}')" = "$net"
check "node off its network: nodes 1 and 3 keep their container ids" \
	test "$(ids etl | grep -v "^${prefix}etl-2 ")" = "$(grep -v "^${prefix}etl-2 " <<<"$before")"
check "node off its network: node 2 is a new container" \
	test "$(ids etl | grep "^${prefix}etl-2 ")" != "$(grep "^${prefix}etl-2 " <<<"$before")"
check "node off its network: 3 nodes running" test "$(count_running etl)" = 3
check "node off its network: plan finds no changes" plan_clean "$classic"

# ---- resize and roll --------------------------------------------------------

before=$(ids etl)
sed -i 's/nodes: 3/nodes: 5/' "$classic/10-workspace.yaml"
check "resize 3 -> 5: apply" lfc "$classic" apply --auto-approve
check "resize 3 -> 5: 5 nodes running" test "$(count_running etl)" = 5
check "resize 3 -> 5: the 3 old nodes keep their container ids" \
	bash -c "diff <(echo '$before') <(podman ps -a --filter label=lakeform/pool=etl --filter name=^$prefix --format '{{.Names}} {{.ID}}' | sort | head -n 3)"
check "resize 3 -> 5: plan finds no changes" plan_clean "$classic"
before=$(ids etl)
sed -i 's/nodes: 5/nodes: 2/' "$classic/10-workspace.yaml"
check "resize 5 -> 2: apply" lfc "$classic" apply --auto-approve
check "resize 5 -> 2: nodes 1 and 2 remain, same ids" \
	test "$(ids etl)" = "$(head -n 2 <<<"$before")"

before=$(ids etl)
: >"$classic/.lakeform/logs/docker.log"
sed -i "s|$img1|$img2|" "$classic/10-workspace.yaml"
check "image change: apply" lfc "$classic" apply --auto-approve
check "image change: every node runs the new image" \
	test "$(for n in $(running etl); do inspect "$n" '{{.Config.Image}}'; done | sort -u)" = "$img2"
check "image change: every node is a new container" \
	test -z "$(comm -12 <(awk '{print $2}' <<<"$before" | sort) <(ids etl | awk '{print $2}' | sort))"
check "image change: rolled one node at a time (node 1 up before node 2 goes)" \
	bash -c "grep -E 'created node|rolled node|removed node' '$classic/.lakeform/logs/docker.log' | tr -d \"'\" |
		awk '{print \$NF}' | tr '\n' ' ' | grep -q '^${prefix}etl-1 ${prefix}etl-1 ${prefix}etl-2 ${prefix}etl-2 \$'"
check "image change: plan finds no changes" plan_clean "$classic"

# ---- drift -------------------------------------------------------------------

id1=$(inspect "${prefix}etl-1" '{{.Id}}')
podman kill "${prefix}etl-1" >/dev/null 2>&1
check "drift, node killed: lakeform drift exits 2 naming nodes" bash -c "'$lf' -C '$classic' drift > '$scratch/out' 2>&1;
	[[ \$? -eq 2 ]] && grep -q 'compute.node_pool/etl' '$scratch/out' && grep -q 'nodes' '$scratch/out'"
check "drift, node killed: refresh + plan shows nodes 1 -> 2" plan_shows "$classic" "nodes: 1 -> 2"
check "drift, node killed: apply heals" lfc "$classic" apply --auto-approve
check "drift, node killed: 2 nodes running again" test "$(count_running etl)" = 2
check "drift, node killed: the node was started again (same container)" \
	test "$(inspect "${prefix}etl-1" '{{.Id}}')" = "$id1"
check "drift, node killed: plan finds no changes" plan_clean "$classic"

podman rm -f -t 0 "${prefix}etl-2" >/dev/null 2>&1
check "drift, node removed: refresh + plan shows nodes 1 -> 2" plan_shows "$classic" "nodes: 1 -> 2"
check "drift, node removed: apply heals" lfc "$classic" apply --auto-approve
check "drift, node removed: node 2 is back and running" \
	test "$(running etl | tr '\n' ' ')" = "${prefix}etl-1 ${prefix}etl-2 "
check "drift, node removed: plan finds no changes" plan_clean "$classic"

# a node replaced by hand with one labelled for another address: not ours any
# more, so lakeform makes a new node beside it and leaves it alone
podman rm -f -t 0 "${prefix}etl-2" >/dev/null 2>&1
podman run -d --name "${prefix}etl-2" --network "$net" --label lakeform/account=hooli \
	--label lakeform/address=compute.node_pool/other --label lakeform/pool=etl \
	--label lakeform/node=2 "$img2" sleep 600 >/dev/null 2>&1
check "drift, node label changed: refresh + plan shows nodes 1 -> 2" plan_shows "$classic" "nodes: 1 -> 2"
check "drift, node label changed: apply heals" lfc "$classic" apply --auto-approve
check "drift, node label changed: 2 nodes of the pool run (index 3 for the new one)" \
	test "$(podman ps --filter label=lakeform/address=compute.node_pool/etl --format '{{.Names}}' | sort | tr '\n' ' ')" \
	= "${prefix}etl-1 ${prefix}etl-3 "
check "drift, node label changed: the relabelled container is left alone" \
	test "$(inspect "${prefix}etl-2" '{{.State.Running}}')" = true
check "drift, node label changed: plan finds no changes" plan_clean "$classic"
podman rm -f -t 0 "${prefix}etl-2" >/dev/null 2>&1

# a node made again by hand, still the pool's, with other limits
podman rm -f -t 0 "${prefix}etl-3" >/dev/null 2>&1
podman run -d --name "${prefix}etl-3" --network "$net" --label lakeform/account=hooli \
	--label lakeform/address=compute.node_pool/etl --label lakeform/pool=etl \
	--label lakeform/workspace=etl --label lakeform/node=3 --cpus 1 -m 512m \
	"$img2" sleep 600 >/dev/null 2>&1
plan_shows2() { plan_shows "$1" "$2" && grep -qF -- "$3" "$scratch/out"; }
# the pool's nodes disagree: the pool reads as "mixed", whatever was recorded
check "drift, node limits changed: refresh + plan shows cpus and memory_mb" \
	plan_shows2 "$classic" 'cpus: "mixed: 0.5, 1" -> 0.5' 'memory_mb: "mixed: 256, 512" -> 256'
check "drift, node limits changed: apply heals" lfc "$classic" apply --auto-approve
check "drift, node limits changed: the node was rolled to 0.5 cpu and 256 MiB" \
	test "$(inspect "${prefix}etl-3" '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}')" = "500000000 268435456"
check "drift, node limits changed: plan finds no changes" plan_clean "$classic"

podman network rm -f "$net" >/dev/null 2>&1 # -f: with its containers
check "drift, network deleted: it is gone" bash -c "! podman network exists $net"
check "drift, network deleted: refresh + plan shows it created again" \
	plan_shows "$classic" "+ compute.network/etl"
check "drift, network deleted: apply heals" lfc "$classic" apply --auto-approve
check "drift, network deleted: network is back with its cidr" \
	bash -c "podman network inspect $net | grep -qF '\"subnet\": \"$cidr\"'"
check "drift, network deleted: 2 nodes run in it again" test "$(count_running etl)" = 2
check "drift, network deleted: plan finds no changes" plan_clean "$classic"

# ---- a CIDR change moves the pool to a new network -------------------------

# 10.O.1.0/24 is the errors case's below; this one is 10.O.2.0/24
cidr2=10.$octet.2.0/24
net2=${prefix}etl-10-$octet-2-0-24
before=$(ids etl)
: >"$classic/.lakeform/logs/docker.log"
sed -i "s|$cidr|$cidr2|" "$classic/10-workspace.yaml"
check "cidr move: the plan creates the network, updates the pool, deletes the old network last" \
	bash -c "'$lf' -C '$classic' plan --refresh=false > '$scratch/out' 2>&1;
		grep -E '^ *[-+~] [a-z_.]+/[^ :]*\$' '$scratch/out' | tr -s ' ' | tr '\n' '|' |
		grep -qx ' + compute.network/etl-10-$octet-2-0-24| ~ workspace/etl| ~ compute.node_pool/etl| - compute.network/etl|' &&
		grep -q 'Plan: 1 to add, 2 to change, 0 to replace, 1 to destroy' '$scratch/out'"
check "cidr move: apply" lfc "$classic" apply --auto-approve
check "cidr move: the new network exists with the new cidr" \
	bash -c "podman network inspect $net2 | grep -qF '\"subnet\": \"$cidr2\"'"
check "cidr move: the old network is gone" bash -c "! podman network exists $net"
check "cidr move: the pool keeps its size (2 nodes running)" test "$(count_running etl)" = 2
check "cidr move: the nodes were moved, not made again (same container ids)" \
	test "$(ids etl)" = "$before"
check "cidr move: every node is on the new network and on no other" \
	test "$(for n in $(running etl); do inspect "$n" '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}'; done | sort -u)" = "$net2 "
check "cidr move: every node has an address in $cidr2" \
	test "$(for n in $(running etl); do inspect "$n" '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' | grep -c "^10\.$octet\.2\."; done | sort -u)" = 1
check "cidr move: each node moved once (connected, then disconnected)" \
	bash -c "grep -c 'moved node' '$classic/.lakeform/logs/docker.log' | grep -qx 2"
check "cidr move: plan finds no changes" plan_clean "$classic"

# ---- spec.tags: labels on the nodes, changed by rolling them in place ------
tags_of() { inspect "$1" '{{index .Config.Labels "team"}} {{index .Config.Labels "cost-center"}} {{index .Config.Labels "lakeform/tags"}}'; }
printf '  tags:\n    team: etl\n    cost-center: "4711"\n' >>"$classic/10-workspace.yaml"
check "tags: apply" lfc "$classic" apply --auto-approve
check "tags: only updates in place" grep -q 'Resources: 0 added, [0-9]* changed, 0 destroyed' "$scratch/out"
for n in $(running etl); do
	check "tags: node $n labelled team and cost-center, lakeform/tags naming them" \
		test "$(tags_of "$n")" = "etl 4711 cost-center,team"
	check "tags: node $n keeps its ownership labels" \
		test "$(inspect "$n" '{{index .Config.Labels "lakeform/address"}}')" = compute.node_pool/etl
done
check "tags: plan finds no changes" plan_clean "$classic"
sed -i 's/team: etl/team: ingest/' "$classic/10-workspace.yaml"
check "tags: a changed tag is planned as an update" bash -c "'$lf' -C '$classic' plan > '$scratch/out' 2>&1;
	grep -qF '~ tags.team: \"etl\" -> \"ingest\"' '$scratch/out' && grep -q '0 to replace, 0 to destroy' '$scratch/out'"
check "tags: changed tag applied" lfc "$classic" apply --auto-approve
check "tags: changed tag applied in place" grep -q 'Resources: 0 added, [0-9]* changed, 0 destroyed' "$scratch/out"
check "tags: 2 nodes still run" test "$(count_running etl)" = 2
for n in $(running etl); do
	check "tags: node $n relabelled team=ingest" test "$(tags_of "$n")" = "ingest 4711 cost-center,team"
done
check "tags: plan after the change finds no changes" plan_clean "$classic"

# ---- serverless and isolation ---------------------------------------------

check "serverless: apply" lfc "$serverless" apply --auto-approve
for ws in research finance; do
	check "serverless: network '$ws' exists" podman network exists "$prefix$ws"
	check "serverless: network '$ws' is internal" test "$(net_field "$prefix$ws" '{{.Internal}}')" = true
	check "serverless: network '$ws' labels (plane, region, address)" \
		test "$(net_field "$prefix$ws" '{{index .Labels "lakeform/plane"}} {{index .Labels "lakeform/region"}} {{index .Labels "lakeform/address"}}')" \
		= "serverless us-east-1 compute.network/$ws"
done
check "serverless: two different subnets" \
	test "$(net_field "${prefix}research" '{{range .Subnets}}{{.Subnet}}{{end}}')" != \
	"$(net_field "${prefix}finance" '{{range .Subnets}}{{.Subnet}}{{end}}')"
check "serverless: plan finds no changes" plan_clean "$serverless"

# a web server and a client in research, a web server in finance
serve='echo hello >/tmp/index.html; exec httpd -f -p 8080 -h /tmp'
podman run -d --name "${prefix}probe-rs" --network "${prefix}research" "$img1" sh -c "$serve" >/dev/null 2>&1
podman run -d --name "${prefix}probe-fs" --network "${prefix}finance" "$img1" sh -c "$serve" >/dev/null 2>&1
podman run -d --name "${prefix}probe-rc" --network "${prefix}research" "$img1" sleep 600 >/dev/null 2>&1
ip_of() { inspect "$1" '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}'; }
fetch() { # FROM IP: an HTTP GET with nc, the body must say hello
	printf 'GET / HTTP/1.0\r\n\r\n' | podman exec -i "$1" nc -w 2 "$2" 8080 2>/dev/null | grep -q hello
}
rs=$(ip_of "${prefix}probe-rs")
fs=$(ip_of "${prefix}probe-fs")
et=$(ip_of "${prefix}etl-1")
check "isolation: probes have addresses" test -n "$rs" -a -n "$fs" -a -n "$et"
check "isolation: within one serverless network a node reaches another" fetch "${prefix}probe-rc" "$rs"
unreachable() { ! fetch "$@"; }
check "isolation: research cannot reach finance" unreachable "${prefix}probe-rc" "$fs"
check "isolation: research cannot reach the classic network" \
	bash -c "! podman exec ${prefix}probe-rc ping -c 1 -W 1 $et"
check "isolation: research has no route out (internal)" \
	bash -c "! podman exec ${prefix}probe-rc ping -c 1 -W 1 1.1.1.1"
podman rm -f -t 0 "${prefix}probe-rs" "${prefix}probe-fs" "${prefix}probe-rc" >/dev/null 2>&1

# a network of the wanted name that lakeform did not make is not taken over
podman network rm -f "${prefix}finance" >/dev/null 2>&1
podman network create --internal --label lakeform/account=hooli "${prefix}finance" >/dev/null 2>&1
check "foreign network: refresh + plan wants to create it" plan_shows "$serverless" "+ compute.network/finance"
check "foreign network: apply refuses with a conflict" \
	bash -c "! '$lf' -C '$serverless' apply --auto-approve >'$scratch/out' 2>&1 &&
		grep -q \"network '${prefix}finance' exists and is not lakeform's\" '$scratch/out'"
check "foreign network: it is left as it was" \
	test "$(net_field "${prefix}finance" '{{index .Labels "lakeform/address"}}')" = ""
podman network rm -f "${prefix}finance" >/dev/null 2>&1
check "foreign network removed: apply creates lakeform's" lfc "$serverless" apply --auto-approve
check "foreign network removed: plan finds no changes" plan_clean "$serverless"

# ---- other ways to name the engine -------------------------------------------

port=$((20000 + $$ % 20000))
podman system service --time=0 "tcp://127.0.0.1:$port" >"$scratch/tcp.log" 2>&1 &
tcp_pid=$!
for _ in $(seq 1 100); do
	curl -sf "http://127.0.0.1:$port/v1.41/_ping" >/dev/null 2>&1 && break
	sleep 0.05
done
check "tcp: DOCKER_HOST=tcp://127.0.0.1:$port, refresh + plan finds no changes" \
	env DOCKER_HOST="tcp://127.0.0.1:$port" bash -c "'$lf' -C '$serverless' refresh && '$lf' -C '$serverless' plan --detailed-exitcode"
kill "$tcp_pid" 2>/dev/null
wait "$tcp_pid" 2>/dev/null
cp "$serverless/lakeform.yaml" "$scratch/lakeform.yaml.saved"
printf '      host: unix://%s\n' "$ENGINE_SOCK" >>"$serverless/lakeform.yaml"
check "settings.host: used when DOCKER_HOST is not set" \
	env -u DOCKER_HOST bash -c "'$lf' -C '$serverless' refresh && '$lf' -C '$serverless' plan --detailed-exitcode"
check "settings.host: DOCKER_HOST comes first" \
	bash -c "! DOCKER_HOST=unix://$scratch/nothing.sock '$lf' -C '$serverless' refresh >/dev/null 2>&1"
cp "$scratch/lakeform.yaml.saved" "$serverless/lakeform.yaml"

# ---- list, over the protocol ------------------------------------------------

rpc() { # ACCOUNT TYPE: the provider's answer to list TYPE for ACCOUNT
	printf '%s\n' \
		'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1}}' \
		'{"jsonrpc":"2.0","id":2,"method":"configure","params":{"settings":{"prefix":"'"$prefix"'"},"account":"'"$1"'"}}' \
		'{"jsonrpc":"2.0","id":3,"method":"list","params":{"type":"'"$2"'"}}' |
		(cd "$scratch" && "$provider" 2>>"$scratch/rpc.log") | grep '"id":3'
}
listed() { # FILE ADDRESS...: FILE lists exactly these addresses
	test "$(grep -o '"address":"[^"]*"' "$1" | sort | tr '\n' ' ')" = \
		"$(shift; printf '"address":"%s" ' "$@")"
}
rpc hooli compute.network >"$scratch/list.hooli"
rpc piedpiper compute.network >"$scratch/list.piedpiper"
rpc hooli compute.node_pool >"$scratch/list.pool"
check "list: the networks of account hooli (etl's since its CIDR move)" listed "$scratch/list.hooli" "compute.network/etl-10-$octet-2-0-24"
check "list: the networks of account piedpiper" listed "$scratch/list.piedpiper" \
	compute.network/finance compute.network/research
check "list: node pool etl with its 2 nodes" \
	bash -c "grep -q '\"address\":\"compute.node_pool/etl\"' $scratch/list.pool && grep -q '\"nodes\":2' $scratch/list.pool"

# ---- errors ------------------------------------------------------------------

errors=$(config errors podman)
check "no socket: apply fails" bash -c "! DOCKER_HOST=unix://$scratch/nothing.sock '$lf' -C '$errors' apply --auto-approve >'$scratch/out' 2>&1"
check "no socket: the message names the socket" \
	grep -q "docker engine socket '$scratch/nothing.sock' (from DOCKER_HOST) does not exist" "$scratch/out"
check "no socket: nothing recorded" bash -c "! '$lf' -C '$errors' state list 2>/dev/null | grep -q compute"
check "bad DOCKER_HOST: apply fails" bash -c "! DOCKER_HOST=ssh://x '$lf' -C '$errors' apply --auto-approve >'$scratch/out' 2>&1"
check "bad DOCKER_HOST: the message says what is expected" \
	grep -q "docker engine address 'ssh://x' (from DOCKER_HOST) must be unix:///path or tcp://host:port" "$scratch/out"

# an engine that died: its socket is still there, nobody answers on it
podman system service --time=0 "unix://$scratch/dead.sock" >/dev/null 2>&1 &
dead_pid=$!
for _ in $(seq 1 100); do
	[[ -S $scratch/dead.sock ]] && break
	sleep 0.05
done
kill -9 "$dead_pid" 2>/dev/null
wait "$dead_pid" 2>/dev/null
check "engine down: apply fails" \
	bash -c "! DOCKER_HOST=unix://$scratch/dead.sock '$lf' -C '$errors' apply --auto-approve >'$scratch/out' 2>&1"
check "engine down: the message says the connection was refused" \
	grep -q "cannot connect to the docker engine at 'unix://$scratch/dead.sock' (from DOCKER_HOST): Connection refused" "$scratch/out"

# permission denied: the socket seen by an unprivileged user
if command -v setpriv >/dev/null; then
	chmod 0755 "$scratch"
	perm=$(printf '%s\n' \
		'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1}}' \
		'{"jsonrpc":"2.0","id":2,"method":"configure","params":{"settings":{},"account":"hooli"}}' |
		(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$provider" 2>/dev/null) | grep '"id":2')
	check "permission denied: configure fails saying so" grep -q "permission denied on docker engine socket" <<<"$perm"
fi

sed -i "s|$img1|localhost/lakeform-missing-$$:1|" "$errors/10-workspace.yaml"
sed -i "s|10.40.0.0/24|10.$octet.1.0/24|; s|name: etl|name: etlx|" "$errors/10-workspace.yaml"
check "image missing: apply fails" bash -c "! '$lf' -C '$errors' apply --auto-approve >'$scratch/out' 2>&1"
check "image missing: the message names the image and how to make it" \
	bash -c "grep -q \"image 'localhost/lakeform-missing-$$:1' is not in the docker engine\" '$scratch/out' &&
		grep -q 'podman import' '$scratch/out'"
check "image missing: no node was made" test -z "$(podman ps -a --filter label=lakeform/pool=etlx --format '{{.Names}}')"
check "image missing: the node pool is not recorded as created" \
	bash -c "! '$lf' -C '$errors' state list | grep -q compute.node_pool"
check "image missing: destroy cleans up" lfc "$errors" destroy --auto-approve

# ---- unmanaged: labelled for the account, recorded by no state -------------

check "unmanaged: state rm forgets the finance network" lfc "$serverless" state rm compute.network/finance
check "unmanaged: refresh reports it" bash -c "'$lf' -C '$serverless' refresh > '$scratch/out' 2>&1;
	grep -q 'unmanaged object' '$scratch/out' && grep -q '(labelled compute.network/finance)' '$scratch/out'"
check "unmanaged: the network is still there" test -n "$(podman network ls --format '{{.Name}}' | grep "^${prefix}finance$")"
netid=$(podman network inspect -f '{{.Id}}' "${prefix}finance" 2>/dev/null)
check "unmanaged: import adopts it again by its id" lfc "$serverless" import compute.network/finance "$netid"
check "unmanaged: then refresh reports none" bash -c "'$lf' -C '$serverless' refresh > '$scratch/out' 2>&1; ! grep -q 'unmanaged object' '$scratch/out'"

# ---- destroy -----------------------------------------------------------------

check "destroy classic" lfc "$classic" destroy --auto-approve
check "destroy serverless" lfc "$serverless" destroy --auto-approve
check "destroy: no container left" test -z "$(podman ps -a --format '{{.Names}}' | grep "^$prefix")"
check "destroy: no network left" test -z "$(podman network ls --format '{{.Name}}' | grep "^$prefix")"
check "destroy: nothing labelled for hooli or piedpiper left" \
	test -z "$(podman ps -a -q --filter label=lakeform/account=hooli; podman ps -a -q --filter label=lakeform/account=piedpiper; podman network ls -q --filter label=lakeform/account=hooli; podman network ls -q --filter label=lakeform/account=piedpiper)"

# with the sanitizer build (make test-docker), a leak or an error would be
# in the providers' logs
check "no sanitizer report in the provider logs" \
	bash -c "! cat '$classic'/.lakeform/logs/*.log '$serverless'/.lakeform/logs/*.log '$errors'/.lakeform/logs/*.log '$scratch/rpc.log' 2>/dev/null | grep -E 'Sanitizer|runtime error'"

finish
