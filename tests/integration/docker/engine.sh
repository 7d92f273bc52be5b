# engine.sh - a private Docker Engine API for the docker provider's tests
# and benchmark, sourced by run.sh and tests/bench/docker-bench.sh.
#
# engine_start SCRATCH TAG...: writes SCRATCH/containers.conf (runc, the
# default runtime crun does not work on these machines, and ulimits runc
# accepts) and exports CONTAINERS_CONF; builds each image TAG from a busybox
# root file system (/bin/busybox of busybox-static and its applet links)
# with `podman import`; starts `podman system service` on
# SCRATCH/podman.sock and waits until it answers.  Sets ENGINE_PID and
# ENGINE_SOCK.  Returns 1 with a message on stderr when something is
# missing or the service does not answer.
#
# engine_stop: stops the service (by its pid) and removes the images made.
# The caller removes its containers and networks first.

ENGINE_PID=
ENGINE_SOCK=
ENGINE_IMAGES=()

engine_start() {
	local scratch=$1 tag i
	shift
	for cmd in podman runc curl; do
		if ! command -v "$cmd" >/dev/null; then
			echo "engine: '$cmd' is not installed (make deps installs podman, runc, busybox-static)" >&2
			return 1
		fi
	done
	# busybox-static's: a dynamic busybox would not run in an empty root
	if ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
		[[ ! -x /bin/busybox ]]; then
		echo "engine: /bin/busybox of busybox-static is needed (make deps)" >&2
		return 1
	fi
	cat >"$scratch/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
EOF
	export CONTAINERS_CONF=$scratch/containers.conf

	# the node image: busybox and its applets, nothing else
	rm -rf "$scratch/rootfs"
	mkdir -p "$scratch/rootfs/bin" "$scratch/rootfs/tmp" "$scratch/rootfs/etc"
	cp /bin/busybox "$scratch/rootfs/bin/busybox"
	for i in $(/bin/busybox --list); do
		[[ $i == busybox ]] || ln -s busybox "$scratch/rootfs/bin/$i"
	done
	for tag in "$@"; do
		if ! tar -C "$scratch/rootfs" -c . | podman import -q - "$tag" >/dev/null; then
			echo "engine: podman import of '$tag' failed" >&2
			return 1
		fi
		ENGINE_IMAGES+=("$tag")
	done

	ENGINE_SOCK=$scratch/podman.sock
	podman system service --time=0 "unix://$ENGINE_SOCK" >"$scratch/service.log" 2>&1 &
	ENGINE_PID=$!
	for i in $(seq 1 100); do
		if curl -sf --unix-socket "$ENGINE_SOCK" http://d/v1.41/_ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	echo "engine: podman system service did not answer on '$ENGINE_SOCK':" >&2
	tail -n 5 "$scratch/service.log" >&2
	return 1
}

engine_stop() {
	if [[ -n $ENGINE_PID ]]; then
		kill "$ENGINE_PID" 2>/dev/null
		wait "$ENGINE_PID" 2>/dev/null
		ENGINE_PID=
	fi
	if [[ ${#ENGINE_IMAGES[@]} -gt 0 ]]; then
		podman rmi -f "${ENGINE_IMAGES[@]}" >/dev/null 2>&1
		ENGINE_IMAGES=()
	fi
}

# engine_sweep PREFIX: remove every container and network whose name starts
# with PREFIX (what a test made, whatever state it left).
engine_sweep() {
	local prefix=$1 c n
	for c in $(podman ps -a --format '{{.Names}}' | grep "^$prefix"); do
		podman rm -f -t 0 "$c" >/dev/null 2>&1
	done
	for n in $(podman network ls --format '{{.Name}}' | grep "^$prefix"); do
		podman network rm -f "$n" >/dev/null 2>&1
	done
}
