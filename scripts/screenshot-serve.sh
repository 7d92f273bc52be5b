#!/usr/bin/env bash
# Pictures of lakeform serve's pages, as docs/serve.md shows them:
#   scripts/screenshot-serve.sh
#       applies examples/quickstart (build/bin/lakeform and its providers:
#       `make all`) in a temporary directory, serves it with --drift-every 1s,
#       edits a bucket behind lakeform's back so the drift page has something
#       to say, and walks the pages in headless Chromium with the serve
#       layer's tests/integration/serve/browse.js (puppeteer-core, installed
#       into build/puppeteer on first use), which photographs each one:
#       docs/img/serve-{overview,account,namespace,principal,resources,
#       resource,history,drift,graph}.png.  Then serves it again with --heal
#       and photographs the heal: docs/img/serve-heals.png.
# LAKEFORM names another binary; CHROMIUM another browser.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
lakeform=$(realpath "${LAKEFORM:-$repo/build/bin/lakeform}")
chromium=${CHROMIUM:-chromium}
prefix=${LF_PUPPETEER_PREFIX:-$repo/build/puppeteer}
command -v "$chromium" >/dev/null || { echo "screenshot-serve: $chromium is missing (make deps)" >&2; exit 1; }
export LAKEFORM_SCHEMA_DIR=${LAKEFORM_SCHEMA_DIR:-$repo/schemas} LAKEFORM_IN_AUTOMATION=1
tmp=$(mktemp -d)
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if [[ ! -d $prefix/node_modules/puppeteer-core ]]; then
	mkdir -p "$prefix"
	npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error puppeteer-core@24.43.1
fi
cp -r "$repo/examples/quickstart" "$tmp/q"
(cd "$tmp/q" && "$lakeform" apply -auto-approve >/dev/null)

serve() { # ARGS...: sets $pid and $base
	(cd "$tmp/q" && exec "$lakeform" serve --listen 127.0.0.1:0 "$@" >"$tmp/out" 2>"$tmp/err") &
	pid=$!
	base=
	for _ in $(seq 100); do
		base=$(sed -n 's|^lakeform: serving \(http://[^ ]*\)/ .*|\1|p' "$tmp/out")
		[[ -n $base ]] && return 0
		sleep 0.1
	done
	echo "screenshot-serve: serve did not start: $(tail -n 3 "$tmp/err")" >&2
	exit 1
}
wait_for() { # API JQ
	for _ in $(seq 300); do
		[[ $(curl -s "$base/api/$1" | jq -r "$2") == true ]] && return 0
		sleep 0.1
	done
	echo "screenshot-serve: timed out waiting for $1: $2" >&2
	exit 1
}

serve --drift-every 1s
wait_for drift '.last.report.status == "in_sync"'
bucket=$tmp/q/.lakeform/local/storage/buckets/acme-lakehouse-default/.lakeform-bucket.json
jq '.tags.owner = "someone-else"' "$bucket" >"$tmp/b.json" && cp "$tmp/b.json" "$bucket"
wait_for drift '.last.report.status == "drift"'
mkdir -p "$repo/docs/img"
NODE_PATH=$prefix/node_modules LF_SERVE_SHOTS=$repo/docs/img \
	node "$repo/tests/integration/serve/browse.js" "$base" "$tmp/profile"
kill "$pid"
wait "$pid" || true

serve --drift-every 1s --heal
wait_for heals '(.heals | length) >= 1'
rm -f "$repo/docs/img/serve-heals.png"
timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
	--user-data-dir="$tmp/profile2" --window-size=1200,900 \
	--screenshot="$repo/docs/img/serve-heals.png" "$base/heals" >"$tmp/chromium.log" 2>&1 || true
[[ -s $repo/docs/img/serve-heals.png ]] || { echo "screenshot-serve: no picture of /heals" >&2; exit 1; }
echo "wrote docs/img/serve-*.png"
