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
in_root() { chroot "$root" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb bash -c "$1"; }

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
