#!/usr/bin/env bash
# serve-bench.sh LAKEFORM MKSTATE - make bench-serve: lakeform serve on the
# synthetic account of gen.sh (LF_BENCH_SERVE_SIZE resources, default
# 100000), recorded as applied by mkstate, and the time of each page, HTML
# and JSON: the best of LF_BENCH_RUNS (default 3) requests with curl, the
# 1-minute load average when it was measured, the page's size, and whether
# it answered under the 200 ms a page may take, effective access included
# (a catalog that thousands of principals reach, a user in every one of
# 2,000 nested groups, a page far down).  Also the time serve took to load
# and index the state.  Exit 1 when a page took 200 ms or more.
set -euo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkstate=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
here=$(cd "$(dirname "$0")" && pwd)
export LAKEFORM_SCHEMA_DIR=${LAKEFORM_SCHEMA_DIR:-$(cd "$here/../../schemas" && pwd)}
n=${LF_BENCH_SERVE_SIZE:-100000}
runs=${LF_BENCH_RUNS:-3}
limit_ms=200
work=$(mktemp -d "${TMPDIR:-/tmp}/lakeform-serve-bench.XXXXXX")
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
load() { cut -d' ' -f1 /proc/loadavg; }

dir=$work/acct
"$here/gen.sh" "$n" "$dir"
"$mkstate" "$dir" >/dev/null
records=$(grep -c '^{"address"' "$dir/.lakeform/state.json")
(cd "$dir" && exec "$bin" serve --listen 127.0.0.1:0 >"$work/out" 2>"$work/err") &
pid=$!
base=
for _ in $(seq 1200); do
	base=$(sed -n 's|^lakeform: serving \(http://[^ ]*\)/ .*|\1|p' "$work/out")
	[[ -n $base ]] && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
	sleep 0.1
done
[[ -n $base ]] || { echo "serve-bench: serve did not start" >&2; exit 1; }

# a catalog, a schema, a group and a user of the account, to ask about
cat=$(curl -s "$base/api/namespace?path=ms-us-east-1&limit=1" | jq -r '.children[0].name')
sch=$(curl -s "$base/api/namespace?path=ms-us-east-1/$cat&limit=1" | jq -r '.children[0].name')
grp=$(curl -s "$base/api/resources?type=group&limit=1" | jq -r '.resources[0].name')
usr=$(curl -s "$base/api/resources?type=user&limit=1" | jq -r '.resources[0].name')
ws=$(curl -s "$base/api/resources?type=workspace&limit=1" | jq -r '.resources[0].address')

printf 'lakeform %s serve on %s, %s cores; %s state records (%s resources of gen.sh); best of %s requests\n' \
	"$("$bin" version | cut -d' ' -f2)" "$(uname -m)" "$(nproc)" "$records" "$n" "$runs"
sed -n 's/^lakeform: serve: \(.*indexed in .*\)/load and index: \1/p' "$work/err"
printf '%-62s %8s %10s %6s %s\n' "page" "ms" "bytes" "load" "under ${limit_ms} ms"
slow=0
page() { # PATH
	local best="" t s l
	for _ in $(seq "$runs"); do
		l=$(load)
		read -r t s < <(curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "$base$1")
		t=$(awk -v t="$t" 'BEGIN{ printf "%.1f", t * 1000 }')
		if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then
			best=$t
			bl=$l
			bs=$s
		fi
	done
	local verdict=yes
	if ! awk -v a="$best" -v m="$limit_ms" 'BEGIN{exit !(a<m)}'; then
		verdict=NO
		slow=$((slow + 1))
	fi
	printf '%-62s %8s %10s %6s %s\n' "$1" "$best" "$bs" "$bl" "$verdict"
}
for p in / /account "/account?offset=1900" /namespace "/namespace?path=ms-us-east-1" \
	"/namespace?path=ms-us-east-1/$cat" "/namespace?path=ms-us-east-1/$cat/$sch" \
	/principals "/principal?name=group:$grp" "/principal?name=user:$usr" \
	/resources "/resources?type=grant&offset=50000" "/resources?prefix=table/" \
	"/resource?address=$ws" /history /drift /heals /graph \
	"/graph?focus=metastore/ms-us-east-1" \
	"/access?on=catalog/ms-us-east-1/$cat" "/access?principal=user:$usr" \
	"/access?principal=group:$grp" "/access?principal=user:$usr&offset=20000"; do
	page "$p"
	if [[ $p == / ]]; then page /api/summary; else page "/api$p"; fi
done
page /api/graph.dot
echo
if [[ $slow -gt 0 ]]; then
	echo "serve-bench: $slow page(s) took ${limit_ms} ms or more"
	exit 1
fi
echo "serve-bench: every page under ${limit_ms} ms"
