#!/usr/bin/env bash
# run.sh LAKEFORM_BINARY - lakeform on s3rver, a small S3 store (npm,
# installed into build/s3rver on first use) that lacks bucket tagging,
# policies and encryption (501 NotImplemented) and ignores If-None-Match
# on PUT.
#
# - the s3 provider: the missing tagging is said once, as a feature the
#   store lacks (not "busy", not retried), and no bucket is left behind;
#   `features: {tagging: false}` is refused before any request, since the
#   tags hold lakeform's ownership labels;
# - the state backend: the lock is refused, naming the store's shortcoming
#   (a lock there would not lock), before anything is applied.
# A server that cannot be installed or started is a failure with its
# reason.  Prints one line per check; the last is `s3rver: N passed, N failed`.
set -uo pipefail

lf=${1:?usage: run.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
layer=s3rver
# shellcheck source=../checks.sh
. "$root/tests/integration/checks.sh"
bindir=$(dirname "$lf")
awsbin=/usr/bin/aws
prefix=${LF_S3RVER_PREFIX:-$root/build/s3rver}

work=$(mktemp -d /tmp/lakeform-s3rver.XXXXXX)
srv_pid=
cleanup() {
	if [[ -n $srv_pid ]]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
for tool in "$awsbin" jq node npm; do
	if ! command -v "$tool" >/dev/null; then
		fail "needs $tool (make deps)"
		finish
	fi
done

# ---- s3rver 3.7.1, with npm, into build/s3rver --------------------------------
bin=$prefix/node_modules/.bin/s3rver
if [[ ! -x $bin ]]; then
	mkdir -p "$prefix"
	if ! npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error s3rver@3.7.1 \
		>"$work/npm.log" 2>&1; then
		fail "npm install --prefix $prefix s3rver@3.7.1: $(tail -n 1 "$work/npm.log")"
		finish
	fi
fi
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=
for _ in $(seq 50); do
	p=$((20000 + RANDOM % 20000))
	if ! port_open "$p"; then
		port=$p
		break
	fi
done
mkdir -p "$work/data"
"$bin" --directory "$work/data" --address 127.0.0.1 --port "$port" --silent >"$work/s3rver.log" 2>&1 &
srv_pid=$!
for _ in $(seq 100); do
	port_open "$port" && break
	sleep 0.1
done
if ! port_open "$port"; then
	fail "s3rver did not start on 127.0.0.1:$port: $(tail -n 1 "$work/s3rver.log")"
	finish
fi
ok "s3rver listens on 127.0.0.1:$port"
endpoint=http://127.0.0.1:$port
# s3rver's own key pair
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=$endpoint AWS_CONFIG_FILE=$work/aws-config
export AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials AWS_PAGER= AWS_EC2_METADATA_DISABLED=true
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_REGION AWS_ENDPOINT_URL_S3
export PATH="$bindir:$PATH"
aws() { "$awsbin" --endpoint-url "$endpoint" "$@"; }
rc=0
run() {
	local name=$1 dir=$2
	shift 2
	last=$name
	"$lf" -C "$dir" "$@" >"$work/$name.out" 2>&1
	rc=$?
}
has() { grep -q -- "$2" "$work/$1.out"; }
hasnt() { ! grep -q -- "$2" "$work/$1.out"; }
buckets() { aws s3api list-buckets --query 'Buckets[].Name' --output text 2>/dev/null | tr '\t' '\n' | grep -v '^None$' | sort; }

# ---- the provider: tagging is missing --------------------------------------------
s=$work/s3
cp -r "$root/examples/s3" "$s"
rm -rf "$s/.lakeform"
sed -i "s#^      endpoint: .*#      endpoint: $endpoint#" "$s/lakeform.yaml"
run tagging "$s" apply --auto-approve
check "apply on a store without bucket tagging: exit 1" test "$rc" -eq 1
check "the error names the missing feature and the answer" \
	has tagging "the store does not support bucket tagging (it answered 501 NotImplemented"
check "the error says why lakeform cannot go without it" \
	has tagging "lakeform keeps its ownership labels in tags and cannot manage buckets on it"
check "not reported as busy" hasnt tagging "s3 is busy"
check "no success line" hasnt tagging "complete!"
n=$(grep -c '?tagging= 501' "$s/.lakeform/logs/s3.log")
check "tagging asked at most once per bucket, never retried ($n requests for 3 buckets)" test "$n" -ge 1 -a "$n" -le 3
n=$(grep -c 'the store does not support bucket tagging' "$s/.lakeform/logs/s3.log")
check "the provider's log says it once ($n)" test "$n" -eq 1
check "no bucket is left behind" test -z "$(buckets)"

# AWS_ENDPOINT_URL_S3 is read before AWS_ENDPOINT_URL, as AWS's tools do
rm -rf "$s/.lakeform"
AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_ENDPOINT_URL_S3=$endpoint run s3url "$s" apply --auto-approve
check "AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL" has s3url "it answered 501 NotImplemented"

sed -i 's/^      addressing: path/      addressing: path\n      features: {tagging: false}/' "$s/lakeform.yaml"
rm -f "$s/.lakeform/logs/s3.log"
run notags "$s" apply --auto-approve
check "features: {tagging: false}: refused" test "$rc" -eq 1
check "features: {tagging: false}: says why" has notags "'features.tagging: false' cannot be honoured"
check "features: {tagging: false}: no request was sent" \
	test "$(grep -c ' request ' "$s/.lakeform/logs/s3.log" 2>/dev/null)" = 0

# ---- the state backend: the lock would not lock ------------------------------------
aws s3api create-bucket --bucket lf-state >/dev/null 2>&1
q=$work/q
cp -r "$root/examples/quickstart" "$q"
rm -rf "$q/.lakeform"
echo "backend: {type: s3, bucket: lf-state, key: acme/prod.json, region: us-east-1}" >"$q/lakeform.yaml"
run lock "$q" apply --auto-approve
check "state on s3rver: apply refused, exit 1" test "$rc" -eq 1
check "the error names the store's shortcoming" \
	has lock "does not honour conditional writes: a second create of"
check "the error says the lock would not lock" has lock "a lock there would not lock"
check "no success line" hasnt lock "complete!"
check "nothing was applied" test ! -e "$q/.lakeform/local"
objs=$(aws s3api list-objects --bucket lf-state --query 'Contents[].Key' --output text 2>/dev/null)
check "no snapshot, lock or probe left in the bucket ('$objs')" test -z "$objs" -o "$objs" = None
finish
