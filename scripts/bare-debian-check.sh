#!/usr/bin/env bash
# bare-debian-check.sh [DIR] - the fresh-machine contract, checked in a bare
# Debian 12 root: debootstrap --variant=minbase bookworm into DIR (default
# build/bare), apt-get install gcc make git ca-certificates there, a plain
# `git clone` of this repository's HEAD into it (no ../shared beside it),
# then the README's two commands, `make demo` and `make test`, as root in
# the root.  Prints the last line of each and leaves the logs in DIR/*.log.
#
# Needs root and debootstrap (apt-get install debootstrap), and a Debian
# mirror.  The root is kept between runs (debootstrap is the slow part);
# `rm -rf DIR` for a new one.  Exits 0 iff both commands did.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${1:-$repo/build/bare}
mirror=${MIRROR:-http://deb.debian.org/debian}
[[ $(id -u) -eq 0 ]] || {
	echo "bare-debian-check: run as root (debootstrap, chroot, mount)" >&2
	exit 1
}
command -v debootstrap >/dev/null || {
	echo "bare-debian-check: needs debootstrap (apt-get install debootstrap)" >&2
	exit 1
}
mkdir -p "$dir"
root=$dir/root
if [[ ! -x $root/usr/bin/apt-get ]]; then
	echo "bare-debian-check: debootstrap --variant=minbase bookworm $root"
	debootstrap --variant=minbase bookworm "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 || {
		echo "bare-debian-check: debootstrap failed (log: $dir/debootstrap.log)" >&2
		exit 1
	}
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mounts=(proc sys dev)
cleanup() {
	local m
	for m in "${mounts[@]}"; do
		mountpoint -q "$root/$m" && umount -R -l "$root/$m"
	done
}
trap cleanup EXIT
for m in "${mounts[@]}"; do
	mountpoint -q "$root/$m" || mount --rbind "/$m" "$root/$m"
done
# A network that inspects TLS signs with a local authority the host trusts
# (/usr/local/share/ca-certificates); the root must trust it too, and node
# reads only its own list unless told (NODE_EXTRA_CA_CERTS).  Elsewhere
# there is nothing to copy and this changes nothing.
extra_ca=()
if compgen -G '/usr/local/share/ca-certificates/*' >/dev/null; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/* "$root/usr/local/share/ca-certificates/"
	extra_ca=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
fi
# A command as root of the new root: its own mount namespace, the root
# made / with pivot_root, not chroot (under chroot, runc's exec enters a
# container's namespaces but not its root, and `podman exec` runs the
# outer root's programs).
in_root() {
	mkdir -p "$root/.oldroot"
	unshare -m bash -c 'mount --make-rprivate / && mount --rbind "$1" "$1" && cd "$1" &&
		pivot_root . .oldroot && umount -l /.oldroot && shift &&
		exec /usr/bin/env -i "$@"' \
		in_root "$root" HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb "${extra_ca[@]}" \
		bash -c "[ ! -d /usr/local/share/ca-certificates ] || update-ca-certificates >/dev/null 2>&1; $1"
}

echo "bare-debian-check: apt-get install gcc make git ca-certificates"
in_root 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq gcc make git ca-certificates' \
	>"$dir/apt.log" 2>&1 || {
	echo "bare-debian-check: apt-get failed (log: $dir/apt.log)" >&2
	exit 1
}
rm -rf "$root/root/lakeform"
git clone -q "$repo" "$root/root/lakeform" || exit 1
echo "bare-debian-check: clone of $(git -C "$repo" rev-parse --short HEAD) in $root/root/lakeform"

status=0
for target in demo test; do
	in_root "cd /root/lakeform && make $target" >"$dir/$target.log" 2>&1
	rc=$?
	[[ $rc -eq 0 ]] || status=1
	if [[ $target == test ]]; then
		# the layers' lines and the sum (make's own last line may follow)
		sed -n '/^  unit /,/^[0-9]* passed, [0-9]* failed/p' "$dir/test.log"
	fi
	echo "make $target: exit $rc (log: $dir/$target.log)"
done
exit $status
