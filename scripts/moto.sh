#!/usr/bin/env bash
# moto.sh - print the path of a moto_server the S3 tests can start.
#
# Debian 12 has no moto package.  In order, the first that exists wins:
#   1. $MOTO_SERVER, when set (an explicit choice);
#   2. moto_server on PATH;
#   3. build/moto/bin/moto_server, a virtual environment made by an earlier run;
#   4. a new virtual environment at build/moto (Debian's python3-venv, which
#      `make deps` installs) with moto[server] from the Python package index.
# When none can be had it prints one line with the reason on stderr and
# exits 1; the layer then fails with that line.  pip reads its own settings
# (PIP_INDEX_URL, PIP_FIND_LINKS, a proxy) from the environment as usual,
# so a mirror or a directory of wheels can stand in for the index.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${LF_MOTO_VENV:-$root/build/moto}
# the version the S3 layers were written and checked against
spec='moto[server]==5.2.1'

if [[ -n ${MOTO_SERVER:-} ]]; then
	if [[ -x $MOTO_SERVER ]]; then
		echo "$MOTO_SERVER"
		exit 0
	fi
	echo "moto: MOTO_SERVER=$MOTO_SERVER is not an executable file" >&2
	exit 1
fi
if p=$(command -v moto_server); then
	echo "$p"
	exit 0
fi

mkdir -p "$(dirname "$venv")"
# two layers started at once must not build the environment twice
exec 9>"$venv.lock"
flock 9
if [[ -x $venv/bin/moto_server ]]; then
	echo "$venv/bin/moto_server"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "moto: no moto_server, and no python3 to install $spec into $venv (make deps installs python3-venv)" >&2
	exit 1
fi
rm -rf "$venv"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! python3 -m venv "$venv" >"$log" 2>&1; then
	echo "moto: no moto_server, and python3 cannot make a virtual environment at $venv (make deps installs python3-venv): $(grep -v '^\s*$' "$log" | tail -n 1)" >&2
	rm -rf "$venv"
	exit 1
fi
echo "moto: installing $spec into $venv" >&2
# --retries 0 --timeout 20: with no route to the index, say so in seconds,
# not after pip's five retries with back-off
if ! "$venv/bin/pip" install --disable-pip-version-check --no-input -q \
	--retries 0 --timeout 20 "$spec" >"$log" 2>&1; then
	reason=$(grep -E 'ERROR|Error|error' "$log" | tail -n 1)
	# pip's "no matching distribution" hides an index it could not reach:
	# ask the index itself, so the line says which it was
	index=${PIP_INDEX_URL:-https://pypi.org/simple}
	if ! why=$("$venv/bin/python" -c '
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1].rstrip("/") + "/moto/", timeout=10).read(1)
except Exception as e:
    print(e); sys.exit(1)' "$index" 2>&1); then
		reason="$index is unreachable: $(tail -n 1 <<<"$why")"
	fi
	echo "moto: no moto_server, and pip cannot install $spec (${reason:-$(tail -n 1 "$log")})" >&2
	rm -rf "$venv"
	exit 1
fi
if [[ ! -x $venv/bin/moto_server ]]; then
	echo "moto: pip installed $spec but $venv/bin/moto_server is missing" >&2
	exit 1
fi
echo "$venv/bin/moto_server"
