#!/bin/sh
# Build lakeform and its providers on a fresh CI runner (GitHub's
# ubuntu-latest, or a Debian/Ubuntu image on GitLab) and install them in
# PREFIX/bin, which the caller adds to PATH.
#
#   LAKEFORM_REPO  the git URL lakeform is fetched from
#   LAKEFORM_REF   the tag or commit to build: pin it, so that every job of
#                  every pipeline runs the same lakeform
#   PREFIX         where to install (default $HOME/.local)
#
# A PREFIX restored from a cache (keyed by LAKEFORM_REF) is used as it is;
# the libraries lakeform links with are installed either way, with curl and
# jq, which the GitLab jobs use to talk to GitLab's API.
set -eu
: "${LAKEFORM_REPO:?set LAKEFORM_REPO to the git URL of lakeform}"
: "${LAKEFORM_REF:?set LAKEFORM_REF to the tag or commit of lakeform to build}"
PREFIX=${PREFIX:-$HOME/.local}

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends \
	gcc make libc6-dev pkg-config git ca-certificates \
	libyaml-dev libjansson-dev libcurl4-openssl-dev libgit2-dev curl jq >/dev/null

if [ -x "$PREFIX/bin/lakeform" ] && [ -f "$PREFIX/share/lakeform/ref" ] &&
	[ "$(cat "$PREFIX/share/lakeform/ref")" = "$LAKEFORM_REF" ]; then
	"$PREFIX/bin/lakeform" version
	exit 0
fi

src=$(mktemp -d)
git -C "$src" init -q
git -C "$src" fetch -q --depth 1 "$LAKEFORM_REPO" "$LAKEFORM_REF"
git -C "$src" -c advice.detachedHead=false checkout -q FETCH_HEAD
make -C "$src" -j"$(nproc)" all >/dev/null
make -C "$src" install PREFIX="$PREFIX" >/dev/null
echo "$LAKEFORM_REF" > "$PREFIX/share/lakeform/ref"
rm -rf "$src"
"$PREFIX/bin/lakeform" version
