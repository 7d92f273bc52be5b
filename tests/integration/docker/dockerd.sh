#!/usr/bin/env bash
# dockerd.sh [LAKEFORM_BINARY] - the docker compute provider against Docker's
# own engine: Debian's docker.io (dockerd), started here beside Podman and
# apart from anything else on the machine, then stopped by its pid with
# everything it made removed.
#
# The private engine: its own unix socket, data root, exec root, pidfile,
# config file, containerd namespace and cgroup parent, all under one
# scratch directory; `--bridge=none` (no default bridge), `--iptables=false`
# and `--ip-forward=false`, so it changes no firewall rule and no sysctl.
# User-defined bridge networks need nothing more: dockerd makes their
# bridge and assigns the subnet without iptables (checked below with the
# node's address).  The node image comes from busybox-static through `docker
# import` (no registry is reachable).
#
# lakeform runs a copy of examples/podman (a classic workspace) on it:
# apply, a node off its network, drift (a node killed, a node removed, a
# node's CPUs changed with `docker update`), heal, destroy.  Every effect is
# checked with Debian's docker CLI, /usr/bin/docker -H unix://SOCKET, never
# by asking lakeform.
#
# Needs root, docker.io, busybox-static and curl (make deps).  When dockerd
# cannot start the layer fails, saying why.  One line per check; the last
# line is `dockerd: N passed, N failed`.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../../.." && pwd)
lf=${1:-$top/build/bin/lakeform}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
provider=$(dirname "$lf")/lakeform-provider-docker

layer=dockerd
# shellcheck source=../checks.sh
. "$top/tests/integration/checks.sh"

scratch=$(mktemp -d /tmp/lfdockerd.XXXXXX)
check_out=$scratch/check.out
base=$scratch/engine # everything dockerd owns
sock=$base/docker.sock
cgroup_parent=lakeform-dockerd-$$
namespace=lakeform-test-$$
prefix=lfd$$-
img=localhost/lakeform-dockerd-$$:1
dockerd_pid=

# Debian's CLI (20.10), whatever else is on PATH, with a configuration of
# its own (no credential helpers, no context pointing elsewhere)
export DOCKER_CONFIG=$base/cli
unset DOCKER_CONTEXT
dk() { /usr/bin/docker -H "unix://$sock" "$@"; }

# our_pid PID: the process still runs with our scratch directory on its
# command line (not another process that got the number since)
our_pid() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF -- "$base"; }
stop_pid() { # PID SECONDS: TERM, then KILL after SECONDS
	local pid=$1 i
	our_pid "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 1 $(($2 * 10))); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}

dockerd_stop() {
	local c n pid m cg
	if [[ -S $sock ]] && curl -sf --max-time 2 --unix-socket "$sock" http://d/_ping >/dev/null 2>&1; then
		# everything in this engine is the test's: containers, then networks
		c=$(dk ps -aq 2>/dev/null)
		[[ -n $c ]] && dk rm -f $c >/dev/null 2>&1
		n=$(dk network ls -q --filter type=custom 2>/dev/null)
		[[ -n $n ]] && dk network rm $n >/dev/null 2>&1
		dk rmi -f "$img" >/dev/null 2>&1
	fi
	[[ -n $dockerd_pid ]] && stop_pid "$dockerd_pid" 20
	# dockerd stops the containerd it started; if it died first, we do
	pid=$(cat "$base/exec/containerd/containerd.pid" 2>/dev/null)
	[[ -n $pid ]] && stop_pid "$pid" 10
	# shims of our containerd, then what is left in our cgroup parent
	for pid in $(pgrep -f "containerd-shim.*-address $base/" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	for cg in /sys/fs/cgroup/*/"$cgroup_parent" /sys/fs/cgroup/"$cgroup_parent"; do
		[[ -d $cg ]] || continue
		cat "$cg"/*/cgroup.procs 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		sleep 0.2
		find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	awk -v b="$base" 'index($2, b) == 1 {print $2}' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	dockerd_pid=
}
cleanup() {
	dockerd_stop
	rm -rf "$scratch"
}
trap cleanup EXIT

# ---- the engine ------------------------------------------------------------

if [[ $(id -u) -ne 0 ]]; then
	fail "runs as root (dockerd needs it)"
	finish
fi
for f in "$lf" "$provider"; do
	if [[ ! -x $f ]]; then
		fail "'$f' is built (make all)"
		finish
	fi
done
missing=
[[ -x /usr/sbin/dockerd && -x /usr/bin/docker ]] || missing+=" docker.io"
[[ -x /bin/busybox ]] || missing+=" busybox-static"
command -v curl >/dev/null || missing+=" curl"
if [[ -n $missing ]]; then
	fail "dockerd starts" "not installed:$missing (make deps installs them)"
	finish
fi

mkdir -p "$base/data" "$base/exec" "$base/cli"
echo '{}' >"$base/cli/config.json"
# deprecated-key-path: dockerd 20.10 would otherwise write /etc/docker/key.json
cat >"$base/daemon.json" <<EOF
{
  "deprecated-key-path": "$base/key.json",
  "log-level": "warn"
}
EOF
/usr/sbin/dockerd --config-file "$base/daemon.json" -H "unix://$sock" \
	--data-root "$base/data" --exec-root "$base/exec" --pidfile "$base/dockerd.pid" \
	--containerd-namespace "$namespace" --containerd-plugins-namespace "$namespace-plugins" \
	--cgroup-parent "$cgroup_parent" \
	--bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
	</dev/null >"$scratch/dockerd.log" 2>&1 &
dockerd_pid=$!
up=
for _ in $(seq 1 300); do
	if [[ $(curl -s --max-time 2 --unix-socket "$sock" http://d/_ping 2>/dev/null) == OK ]]; then
		up=1
		break
	fi
	kill -0 "$dockerd_pid" 2>/dev/null || break
	sleep 0.1
done
if [[ -z $up ]]; then
	fail "dockerd starts" "dockerd did not answer on '$sock'; its last words:" \
		"$(tail -n 8 "$scratch/dockerd.log")"
	finish
fi
version=$(dk version --format '{{.Server.Version}}' 2>/dev/null)
api=$(dk version --format '{{.Server.APIVersion}}' 2>/dev/null)
minapi=$(dk version --format '{{.Server.MinAPIVersion}}' 2>/dev/null)
ok "dockerd starts (Docker $version, API $minapi to $api)"

# the node image: busybox and its applets
mkdir -p "$scratch/rootfs/bin" "$scratch/rootfs/tmp" "$scratch/rootfs/etc"
cp /bin/busybox "$scratch/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
	[[ $a == busybox ]] || ln -s busybox "$scratch/rootfs/bin/$a"
done
check "node image made with docker import" \
	bash -c "tar -C '$scratch/rootfs' -c . | /usr/bin/docker -H unix://$sock import - '$img'"

export DOCKER_HOST=unix://$sock

# a /24 that no route of this machine covers (podman's, eth0's, another run's)
cidr=
for i in $(seq 0 40); do
	octet=$(((40 + $$ + i) % 200 + 20))
	if ! ip route | grep -q "^10\.$octet\."; then
		cidr=10.$octet.200.0/24
		break
	fi
done
cfg=$scratch/classic
cp -r "$top/examples/podman" "$cfg"
rm -rf "$cfg/.lakeform"
sed -i "s|prefix: lf-|prefix: $prefix|" "$cfg/lakeform.yaml"
sed -i "s|localhost/lakeform-node:1|$img|; s|10.40.0.0/24|$cidr|" "$cfg/10-workspace.yaml"
net=${prefix}etl

lfc() { # ARGS...: lakeform in the configuration, output to $scratch/out
	"$lf" -C "$cfg" "$@" >"$scratch/out" 2>&1
}
plan_clean() { lfc refresh && lfc plan --detailed-exitcode; }
plan_shows() { # TEXT...: refresh, then plan exits 2 and mentions every TEXT
	local rc t
	lfc refresh || return 1
	lfc plan --detailed-exitcode
	rc=$?
	[[ $rc -eq 2 ]] || return 1
	for t in "$@"; do grep -qF -- "$t" "$scratch/out" || return 1; done
}
ids() { # "name id" of every node of the pool, sorted
	dk ps -a --filter label=lakeform/pool=etl --filter "name=^$prefix" \
		--format '{{.Names}} {{.ID}}' | sort
}
count_running() { dk ps -q --filter label=lakeform/pool=etl --filter "name=^$prefix" | grep -c .; }
inspect() { dk inspect --format "$2" "$1" 2>/dev/null; }
nets_of() { inspect "$1" '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}'; }

# ---- apply -------------------------------------------------------------------

check "apply" lfc --verbose apply --auto-approve
check "apply --verbose names Docker $version and the API version chosen, $api" \
	grep -q "docker engine at .*: Docker $version, API $minapi to $api; using API $api " "$scratch/out"
check "the network exists with the customer's cidr $cidr" \
	test "$(dk network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "$net" 2>/dev/null)" = "$cidr"
check "the network is a bridge, not internal, labelled for the account" \
	test "$(dk network inspect --format '{{.Driver}} {{.Internal}} {{index .Labels "lakeform/account"}}' "$net" 2>/dev/null)" \
	= "bridge false hooli"
check "3 nodes running" test "$(count_running)" = 3
check "node 2: 0.5 cpu, 256 MiB, the image, its labels" \
	test "$(inspect "${prefix}etl-2" '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.Config.Image}} {{index .Config.Labels "lakeform/node"}}')" \
	= "500000000 268435456 $img 2"
check "node 2 has an address in $cidr (a user-defined bridge works without iptables)" \
	bash -c "[[ \$(/usr/bin/docker -H unix://$sock inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' ${prefix}etl-2) == ${cidr%.0/24}.* ]]"
check "plan after apply finds no changes" plan_clean

# ---- one node off its network ----------------------------------------------

before=$(ids)
dk network disconnect "$net" "${prefix}etl-2" >/dev/null 2>&1
check "node off its network: node 2 has no network now" test -z "$(nets_of "${prefix}etl-2")"
check "node off its network: refresh + plan shows nodes 2 -> 3, the pool changed in place" \
	plan_shows "nodes: 2 -> 3" "Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy"
check "node off its network: nothing forces a replacement" bash -c "! grep -q 'forces replacement' '$scratch/out'"
check "node off its network: apply heals" lfc apply --auto-approve
check "node off its network: node 2 is on the network again" test "$(nets_of "${prefix}etl-2")" = "$net "
check "node off its network: nodes 1 and 3 keep their container ids" \
	test "$(ids | grep -v "^${prefix}etl-2 ")" = "$(grep -v "^${prefix}etl-2 " <<<"$before")"
check "node off its network: plan finds no changes" plan_clean

# ---- drift: a node killed, one removed, one's CPUs changed ------------------

before=$(ids)
id1=$(inspect "${prefix}etl-1" '{{.Id}}')
id3=$(inspect "${prefix}etl-3" '{{.Id}}')
dk kill "${prefix}etl-1" >/dev/null 2>&1
dk rm -f "${prefix}etl-2" >/dev/null 2>&1
dk update --cpus 1 "${prefix}etl-3" >/dev/null 2>&1
check "drift: docker update changed node 3's NanoCpus" \
	test "$(inspect "${prefix}etl-3" '{{.HostConfig.NanoCpus}}')" = 1000000000
check "drift: refresh + plan shows nodes 1 -> 3 and the cpus of node 3" \
	plan_shows "nodes: 1 -> 3" 'cpus: "mixed: 0.5, 1" -> 0.5' "1 to change, 0 to replace"
check "drift: apply heals" lfc apply --auto-approve
check "drift: 3 nodes running" test "$(count_running)" = 3
check "drift: the killed node was started again (same container)" \
	test "$(inspect "${prefix}etl-1" '{{.Id}}')" = "$id1"
check "drift: the removed node is back at index 2" \
	test "$(inspect "${prefix}etl-2" '{{index .Config.Labels "lakeform/node"}} {{.State.Running}}')" = "2 true"
check "drift: node 3 was rolled to 0.5 cpu (a new container)" \
	bash -c "[[ \$(/usr/bin/docker -H unix://$sock inspect --format '{{.HostConfig.NanoCpus}} {{.Id}}' ${prefix}etl-3) == '500000000 '* &&
		\$(/usr/bin/docker -H unix://$sock inspect --format '{{.Id}}' ${prefix}etl-3) != $id3 ]]"
check "drift: plan finds no changes" plan_clean

# ---- destroy -----------------------------------------------------------------

check "destroy" lfc destroy --auto-approve
check "destroy: no container left" test -z "$(dk ps -aq)"
check "destroy: no network left" test -z "$(dk network ls -q --filter type=custom)"
check "destroy: no bridge of the network left on the host" \
	bash -c "! ip -br addr | grep -q ' ${cidr%.0/24}\.'"

check "no sanitizer report in the provider log" \
	bash -c "! grep -E 'Sanitizer|runtime error' '$cfg'/.lakeform/logs/*.log"

# ---- stopped, and gone -------------------------------------------------------

pidfile_pid=$(cat "$base/dockerd.pid" 2>/dev/null)
dockerd_stop
check "dockerd stopped by its pid" bash -c "! kill -0 $pidfile_pid 2>/dev/null"
check "its containerd stopped too" \
	bash -c "! pgrep -f '[c]ontainerd --config $base/' >/dev/null && ! pgrep -f '[c]ontainerd-shim.*$base/' >/dev/null"
check "no cgroup of its nodes left" \
	bash -c "! ls -d /sys/fs/cgroup/*/$cgroup_parent /sys/fs/cgroup/$cgroup_parent 2>/dev/null | grep -q ."
check "no mount under its directory left" bash -c "! grep -qF '$base' /proc/mounts"
finish
