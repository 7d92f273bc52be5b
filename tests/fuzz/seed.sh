#!/usr/bin/env bash
# seed.sh LAKEFORM_BINARY - make the seed corpora of the fuzz targets again.
#
# The corpora in tests/fuzz/corpus/<name>/ are committed; this script is how
# they were made, to run again when the formats change (then commit the
# difference).  Each seed is a small file taken from the repository or from
# what lakeform writes on its examples:
#   manifest  each example's manifests as one stream, the test fixture's,
#             every YAML a golden CLI case writes, and 40 small cases of
#             the YAML test suite
#   state     state.json of quickstart applied, the journal of an apply
#             killed halfway (alone, and after a snapshot, with updates and
#             deletes in it), a torn journal tail, and a few small shapes
#   plan      saved plans of quickstart: from no state, after a change
#             (updates, a replacement, deletes), --destroy, and --target
#   provider  the answers of lakeform-provider-local-storage to the calls
#             fuzz_provider makes, and a few broken exchanges
# Needs lakeform and its providers built (make all, and
# build/bin/lakeform-provider-sleepy).
set -euo pipefail

lf=${1:?usage: seed.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bindir=$(dirname "$lf")
out=$here/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LAKEFORM_SCHEMA_DIR=$root/schemas NO_COLOR=1

# manifests of a directory as one stream: each file's documents, "---"
# between files (a file's own leading "---" dropped)
stream() {
	local first=1 f
	for f in "$@"; do
		((first)) || echo '---'
		first=0
		sed '1{/^---[[:space:]]*$/d}' "$f"
	done
}

# ---- manifest ----------------------------------------------------------------
m=$out/manifest
rm -rf "$m"
mkdir -p "$m"
for d in "$root"/examples/*/ "$root"/tests/cli/fixtures/minimal/; do
	files=()
	for f in "$d"*.yaml; do
		[[ -f $f && $(basename "$f") != lakeform.yaml ]] && files+=("$f")
	done
	((${#files[@]})) || continue
	stream "${files[@]}" >"$m/example-$(basename "$d").yaml"
done
for c in "$root"/tests/cli/*/cmd; do
	name=$(basename "$(dirname "$c")")
	awk -v dir="$m" -v name="$name" '
		/> *[^ ]+\.ya?ml *<<-? *.?YAML.?[[:space:]]*$/ { n++; f = sprintf("%s/cli-%s-%d.yaml", dir, name, n); body = 1; next }
		/^YAML$/ { body = 0; close(f); next }
		body { print > f }
	' "$c"
done
n=0
for f in "$root"/tests/yaml-suite/data/*/in.yaml; do
	size=$(wc -c <"$f")
	((size > 0 && size < 400)) || continue
	n=$((n + 1))
	((n % 5 == 0)) || continue # one in five: a spread of the features
	cp "$f" "$m/yaml-suite-$(basename "$(dirname "$f")").yaml"
	((n < 200)) || break
done

# ---- state and plan ----------------------------------------------------------
s=$out/state
p=$out/plan
rm -rf "$s" "$p"
mkdir -p "$s" "$p"
q=$work/q
cp -r "$root/examples/quickstart" "$q"
"$lf" -C "$q" plan -out "$p/quickstart-create.plan" >/dev/null
"$lf" -C "$q" plan --target catalog/main-use1/sales -out "$p/quickstart-target.plan" >/dev/null ||
	"$lf" -C "$q" plan --target account/acme -out "$p/quickstart-target.plan" >/dev/null
"$lf" -C "$q" apply --auto-approve >/dev/null
cp "$q/.lakeform/state.json" "$s/quickstart.json"
# a change: an update (a display name), deletes (a grant file gone) and a
# replacement when the schemas force one (a metastore's region)
sed -i 's/display_name: Carol Nguyen/display_name: Carol N/' "$q/10-identities.yaml"
rm -f "$q/50-grants.yaml"
"$lf" -C "$q" plan -out "$p/quickstart-update-delete.plan" >/dev/null || true
# --destroy of the catalogs' part alone: the metastore keeps prevent_destroy
"$lf" -C "$q" plan --destroy --target catalog/main-use1/sales -out "$p/quickstart-destroy.plan" >/dev/null

# a journal: an apply killed halfway, first with no state, then over one
k=$work/k
cp -r "$root/examples/quickstart" "$k"
echo "providers: {storage: {name: sleepy}}" >"$k/lakeform.yaml"
# killed_apply DIR LINES: kill -9 once the journal has LINES records
killed_apply() {
	PATH="$bindir:$PATH" SLEEPY_MS=300 "$lf" -C "$1" apply --auto-approve --parallelism 2 >/dev/null 2>&1 &
	local pid=$! i
	for ((i = 0; i < 500; i++)); do
		[[ $(cat "$1/.lakeform/journal.jsonl" 2>/dev/null | wc -l) -ge $2 ]] && break
		sleep 0.01
	done
	pkill -9 -P "$pid" 2>/dev/null || true
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
killed_apply "$k" 12
{
	echo '=== journal.jsonl'
	cat "$k/.lakeform/journal.jsonl"
} >"$s/journal-only.txt"
PATH="$bindir:$PATH" SLEEPY_MS=0 "$lf" -C "$k" apply --auto-approve >/dev/null
sed -i 's/display_name: Carol Nguyen/display_name: Carol N/' "$k/10-identities.yaml"
rm -f "$k/50-grants.yaml" "$k/40-catalog.yaml"
killed_apply "$k" 5
{
	cat "$k/.lakeform/state.json"
	echo '=== journal.jsonl'
	cat "$k/.lakeform/journal.jsonl"
} >"$s/snapshot-and-journal.txt"
# its tail torn in the middle of a record
head -c -20 "$s/snapshot-and-journal.txt" >"$s/torn-tail.txt"
# small shapes
printf '{}\n' >"$s/empty-object.json"
head -n 1 "$s/quickstart.json" | sed 's/"resources":\[$/"resources":[]}/' >"$s/header-only.json"
{
	head -n 1 "$s/quickstart.json"
	sed -n 2p "$s/quickstart.json" | sed 's/,$//'
	echo ']}'
} >"$s/one-record.json"

# ---- provider ------------------------------------------------------------------
v=$out/provider
rm -rf "$v"
mkdir -p "$v"
pv=$work/pv
mkdir -p "$pv"
# the calls fuzz_provider makes, as lakeform writes them
requests() {
	local settings=$1
	cat <<EOF
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1,"lakeform_version":"0.1.0","deadline_ms":10000}}
{"jsonrpc":"2.0","id":2,"method":"configure","params":{"settings":$settings,"account":"acme","deadline_ms":30000}}
{"jsonrpc":"2.0","id":3,"method":"read","params":{"type":"storage.bucket","address":"storage.bucket/acme-lake","id":null,"inputs":{"name":"acme-lake"},"deadline_ms":2000}}
{"jsonrpc":"2.0","id":4,"method":"read","params":{"type":"storage.bucket","address":"storage.bucket/acme-lake","id":null,"inputs":{"name":"acme-lake"},"deadline_ms":2000}}
{"jsonrpc":"2.0","id":5,"method":"read","params":{"type":"storage.bucket","address":"storage.bucket/acme-lake","id":null,"inputs":{"name":"acme-lake"},"deadline_ms":2000}}
{"jsonrpc":"2.0","id":6,"method":"shutdown","params":{"deadline_ms":1000}}
EOF
}
# one answer a line, in the order of the requests, chunks cut by "=== next"
(cd "$pv" && requests '{"root":".lakeform/local/storage"}' | "$bindir/lakeform-provider-local-storage" 2>/dev/null) |
	jq -c -s 'sort_by(.id) | .[]' | sed '1!s/^/=== next\n/' >"$v/local-storage.txt"
cat >"$v/doc-exchange.txt" <<'EOF'
{"jsonrpc":"2.0","id":1,"result":{"name":"example","protocol_version":1,"concurrency":4,"resource_types":[{"type":"test.item","schema":{"type":"object","required":["name"]}}]}}
=== next
{"jsonrpc":"2.0","id":2,"result":{}}
=== next
{"jsonrpc":"2.0","id":3,"result":{"exists":false,"id":null,"attributes":null}}
=== next
{"jsonrpc":"2.0","id":5,"result":{"exists":true,"id":"raw","attributes":{"name":"raw","path":"/srv/lake/raw"}}}
{"jsonrpc":"2.0","id":4,"error":{"code":-32001,"message":"throttled","data":{"retryable":true}}}
=== next
=== next
{"jsonrpc":"2.0","id":6,"result":{}}
EOF
cat >"$v/noise.txt" <<'EOF'
not json at all
{"jsonrpc":"2.0","id":"1","result":{}}
{"jsonrpc":"2.0","id":1.0,"result":{}}
{"jsonrpc":"2.0","id":1,"result":{"name":"noisy","protocol_version":1,"concurrency":1000000,"resource_types":[1,{"type":2},{"type":"storage.bucket"}]}}
{"jsonrpc":"2.0","id":1,"result":{"name":"late"}}
=== next
{"jsonrpc":"2.0","id":2}
=== next
{"jsonrpc":"2.0","id":3,"result":[],"error":{"code":"x"}}
=== next
{"jsonrpc":"2.0","id":4,"result":{}
EOF
printf '{"jsonrpc":"2.0","id":1,"result":{"name":"x","protocol_version":2,"concurrency":-1}}' >"$v/wrong-version.txt"
printf '{"jsonrpc":"2.0","id":1,"result":{"protocol_version":1}}\n=== next\n{"jsonrpc":"2.0","id":2,"error":{"message":null}}' >"$v/no-name.txt"

for t in manifest state plan provider; do
	echo "$t: $(find "$out/$t" -type f | wc -l) seeds, $(du -sk "$out/$t" | cut -f1) KiB"
done
