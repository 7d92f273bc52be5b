#!/usr/bin/env bash
# run.sh LAKEFORM_BINARY - lakeform on Ceph's S3 gateway (radosgw), as users
# run it: a cluster started here (ceph-env.sh) in its default zonegroup,
# whose GetBucketLocation answers `default`, and whose PutBucketEncryption
# answers 400 InvalidArgument.  Every effect is checked with /usr/bin/aws.
#
# - examples/s3 pointed at it: the first apply names the feature the store
#   lacks (asked once per bucket, not retried); with `features:
#   {encryption: false}` the second apply brings the half-made buckets to
#   their inputs (versioning); the plan after it has no changes and warns
#   that the location is not a region (no replacement);
# - drift: a bucket's tags replaced, its policy replaced, a prefix marker
#   deleted: plan shows it, apply heals it;
# - versioning false (Suspended), then true (Enabled), then destroy, which
#   leaves no bucket although markers were written before versioning;
# - the state backend: apply, refresh (conditional writes with If-Match,
#   which Ceph compares unquoted), a held lock, kill -9 and the lease taken
#   over.
# - then a second cluster whose zonegroup's api_name is a real region
#   (us-east-1): the location is read as that region, no warning, no
#   change; and `features: {policy: false}`: policies recorded, not sent.
# A cluster that cannot start is a failure with its reason.  Prints one line
# per check; the last is `ceph: N passed, N failed`.
set -uo pipefail

lf=${1:?usage: run.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
layer=ceph
# shellcheck source=../checks.sh
. "$root/tests/integration/checks.sh"
bindir=$(dirname "$lf")
awsbin=/usr/bin/aws

work=$(mktemp -d /tmp/lakeform-ceph.XXXXXX)
pids=()
# shellcheck source=ceph-env.sh
. "$here/ceph-env.sh"
cleanup() {
	for pid in "${pids[@]}"; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	ceph_stop
	rm -rf "$work"
}
trap cleanup EXIT
for tool in "$awsbin" jq curl; do
	if ! command -v "$tool" >/dev/null; then
		fail "needs $tool (make deps)"
		finish
	fi
done
t0=$(date +%s)
if ! ceph_start "$work/ceph" default; then
	fail "a ceph cluster with radosgw: $ceph_why"
	finish
fi
ok "a ceph cluster with radosgw at $endpoint, up in $(($(date +%s) - t0)) s"
export PATH="$bindir:$PATH"

aws() { "$awsbin" --endpoint-url "$endpoint" "$@"; }
rc=0
run() { # run NAME DIR ARGS...: output in $work/NAME.out, status in $rc
	local name=$1 dir=$2
	shift 2
	last=$name
	"$lf" -C "$dir" "$@" >"$work/$name.out" 2>&1
	rc=$?
}
has() { grep -q -- "$2" "$work/$1.out"; }
hasnt() { ! grep -q -- "$2" "$work/$1.out"; }
not() { ! "$@"; }
buckets() { aws s3api list-buckets --query 'Buckets[].Name' --output text 2>/dev/null | tr '\t' '\n' | grep -v '^None$' | sort; }
versioning() { aws s3api get-bucket-versioning --bucket "$1" --query Status --output text 2>/dev/null; }
tag() {
	aws s3api get-bucket-tagging --bucket "$1" --output json 2>/dev/null |
		jq -r --arg k "$2" '.TagSet[] | select(.Key == $k) | .Value'
}
marker() { aws s3api head-object --bucket "$1" --key "$2" >/dev/null 2>&1; }
policy_sids() { aws s3api get-bucket-policy --bucket "$1" --query Policy --output text 2>/dev/null | jq -r '.Statement[].Sid' | sort | tr '\n' ' '; }

# every bucket of examples/s3 declared without default encryption
none_encryption() {
	sed -i 's/^    bucket: \(acme-lf-[a-z0-9-]*\)$/    bucket: \1\n    encryption: {algorithm: none}/' \
		"$1/00-account.yaml" "$1/20-metastore.yaml" "$1/30-workspace.yaml"
}

# ---- examples/s3 on the store as it is --------------------------------------
s=$work/s3
cp -r "$root/examples/s3" "$s"
rm -rf "$s/.lakeform"
sed -i "s#^      endpoint: .*#      endpoint: $endpoint#" "$s/lakeform.yaml"
# the metastore's bucket starts unversioned: its markers are written with
# version id null, which destroy must remove after versioning is turned on
sed -i 's/^    versioning: true/    versioning: false/' "$s/20-metastore.yaml"
run first "$s" apply --auto-approve
check "first apply: exit 1 (the store has no default encryption)" test "$rc" -eq 1
check "first apply: the error names the feature and the setting" \
	has first "the store does not support default encryption (it answered 400 InvalidArgument for bucket 'acme-lf-default'): set 'features: {encryption: false}'"
check "first apply: no success line" hasnt first "complete!"
n=$(grep -c 'PUT /acme-lf-default?encryption=' "$s/.lakeform/logs/s3.log")
check "first apply: encryption asked once for the bucket, not retried ($n)" test "$n" -eq 1
check "first apply: not reported as busy" hasnt first "s3 is busy"
check "first apply: the buckets were made and tagged" \
	test "$(tag acme-lf-default lakeform/address)" = storage.bucket/acme-lf-default

sed -i 's/^      addressing: path/      addressing: path\n      features: {encryption: false}/' "$s/lakeform.yaml"
# the buckets still ask for the default, AES256, which the store cannot give
run refused "$s" apply --auto-approve
check "features: {encryption: false} with AES256 asked: apply exit 1" test "$rc" -eq 1
check "features: {encryption: false} with AES256 asked: says to declare none" \
	has refused "bucket 'acme-lf-default' asks for encryption AES256, but the s3 provider's settings say 'features: {encryption: false}' (the store has no default encryption): declare 'encryption: {algorithm: none}' for it on this store"
none_encryption "$s"
run second "$s" apply --auto-approve
check "with features: {encryption: false}: apply exit 0" test "$rc" -eq 0
check "the half-made bucket got the versioning it asks for" test "$(versioning acme-lf-default)" = Enabled
check "the prefixes exist" marker acme-lf-uc-use1 catalogs/sales/schemas/raw/
check "the policy exists" test -n "$(policy_sids acme-lf-uc-use1)"
run noop "$s" plan --detailed-exitcode
check "plan after apply: no changes (location 'default' is no region change)" test "$rc" -eq 0
check "plan: nothing to replace" hasnt noop "forces replacement"
check "plan: warns that the location is not known, naming bucket and value" \
	has noop "warning: storage.bucket/acme-lf-default: bucket 'acme-lf-default' answers location 'default', which is not an S3 region"

# ---- drift and heal ---------------------------------------------------------
aws s3api put-bucket-tagging --bucket acme-lf-ws-etl --tagging 'TagSet=[{Key=owner,Value=someone}]' >/dev/null 2>&1
aws s3api put-bucket-policy --bucket acme-lf-uc-use1 --policy '{"Version":"2012-10-17","Statement":[{"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/mallory"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-lf-uc-use1/*"}]}' >/dev/null 2>&1
aws s3api delete-object --bucket acme-lf-ws-etl --key catalogs/etl/ >/dev/null 2>&1
check "drift made: the marker is gone" not marker acme-lf-ws-etl catalogs/etl/
run drift "$s" plan --detailed-exitcode
check "plan sees the drift: exit 2" test "$rc" -eq 2
check "plan: the deleted prefix is to be made again" has drift "storage.prefix/acme-lf-ws-etl/catalogs/etl"
check "plan: the policy is to be updated" has drift "storage.policy/acme-lf-uc-use1"
check "plan: the bucket's tags are to be put back" has drift "storage.bucket/acme-lf-ws-etl"
check "plan: still no replacement" has drift " 0 to replace"
run heal "$s" apply --auto-approve
check "apply heals: exit 0" test "$rc" -eq 0
check "healed: the labels are back" test "$(tag acme-lf-ws-etl lakeform/address)" = storage.bucket/acme-lf-ws-etl
check "healed: the marker is back" marker acme-lf-ws-etl catalogs/etl/
check "healed: only lakeform's statements" not grep -q Other <<<"$(policy_sids acme-lf-uc-use1)"
run healed "$s" plan --detailed-exitcode
check "after healing: no changes" test "$rc" -eq 0

# ---- versioning false, then true, then destroy ---------------------------------
sed -i 's/^    versioning: true/    versioning: false/' "$s/00-account.yaml"
run vfalse "$s" apply --auto-approve
check "versioning: false applies" test "$rc" -eq 0
check "versioning false: the bucket's versioning is Suspended" test "$(versioning acme-lf-default)" = Suspended
sed -i 's/^    versioning: false/    versioning: true/' "$s/00-account.yaml" "$s/20-metastore.yaml"
run vtrue "$s" apply --auto-approve
check "versioning: true applies" test "$rc" -eq 0
check "versioning true: Enabled again" test "$(versioning acme-lf-default)" = Enabled
check "versioning true on the bucket whose markers were written unversioned" \
	test "$(versioning acme-lf-uc-use1)" = Enabled
run destroy "$s" destroy --auto-approve
check "destroy: exit 0" test "$rc" -eq 0
check "destroy: no 'not empty'" hasnt destroy "not empty"
check "destroy: no bucket is left" test -z "$(buckets)"

# ---- the state backend ----------------------------------------------------------
aws s3api create-bucket --bucket lf-state >/dev/null 2>&1
config() { # config NAME KEY [STORAGE_PROVIDER]: examples/quickstart, state in ceph
	local d=$work/$1
	rm -rf "$d"
	cp -r "$root/examples/quickstart" "$d"
	rm -rf "$d/.lakeform"
	{
		echo "backend: {type: s3, bucket: lf-state, key: $2, region: us-east-1, lease: 10s}"
		if [[ -n ${3:-} ]]; then echo "providers: {storage: {name: $3}}"; fi
	} >"$d/lakeform.yaml"
	echo "$d"
}
snapshot() { aws s3 cp "s3://lf-state/$1" - 2>/dev/null; }
exists() { aws s3api head-object --bucket lf-state --key "$1" >/dev/null 2>&1; }
q=$(config q acme/prod.json)
run bapply "$q" apply --auto-approve
check "state in ceph: apply exit 0" test "$rc" -eq 0
check "state in ceph: the snapshot records 32 resources" test "$(snapshot acme/prod.json | jq '.resources | length')" = 32
check "state in ceph: the conditional-write proof is kept" exists acme/prod.json.conditional-writes
serial=$(snapshot acme/prod.json | jq .serial)
sed -i 's/display_name: Alice Martin/display_name: Alice M./' "$q/10-identities.yaml"
run bapply2 "$q" apply --auto-approve
check "a second apply (If-Match on the snapshot's ETag): exit 0" test "$rc" -eq 0
check "a second apply says complete" has bapply2 "Apply complete!"
check "a second apply moved the serial" test "$(snapshot acme/prod.json | jq .serial)" -gt "$serial"
check "and the change is in ceph" grep -qF 'Alice M."' <<<"$(snapshot acme/prod.json)"
run brefresh "$q" refresh
check "refresh writes the state again: exit 0" test "$rc" -eq 0
check "no lock object is left" not exists acme/prod.json.lock
held='{"id":"11111111-2222-3333-4444-555555555555","operation":"apply","who":"ci@runner-7","version":"0.1.0","created":"2026-01-01T00:00:00Z","pid":4242,"path":"s3://lf-state/acme/prod.json","expires":"2999-01-01T00:00:00Z"}'
printf '%s' "$held" | aws s3 cp - s3://lf-state/acme/prod.json.lock >/dev/null
run blocked "$q" apply --auto-approve
check "a held lock: exit 3" test "$rc" -eq 3
check "a held lock: the holder is named" has blocked "ci@runner-7"
run bunlock "$q" force-unlock -force 11111111-2222-3333-4444-555555555555
check "force-unlock (a DELETE with If-Match) removes it" test "$rc" -eq 0

c=$(config crash acme/crash.json sleepy)
SLEEPY_MS=300 "$lf" -C "$c" apply --auto-approve --parallelism 1 >"$work/crash1.out" 2>&1 &
pid=$!
pids+=("$pid")
for _ in $(seq 100); do grep -q 'storage.*: created$' "$work/crash1.out" && break; sleep 0.1; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
check "kill -9 leaves the lock object" exists acme/crash.json.lock
SLEEPY_MS=0 run crash2 "$c" apply --auto-approve
check "at once: exit 3 (the lease runs)" test "$rc" -eq 3
sleep 11
SLEEPY_MS=0 run crash3 "$c" apply --auto-approve
check "after the lease: taken over, apply finishes" test "$rc" -eq 0
SLEEPY_MS=0 run crash4 "$c" plan --detailed-exitcode
check "then no changes" test "$rc" -eq 0

# ---- a zonegroup whose api_name is a real region ------------------------------
# set before radosgw starts (it reads it only then): GetBucketLocation then
# answers "us-east-1", a region, read as that region
ceph_stop
t0=$(date +%s)
if ! ceph_start "$work/ceph-region" us-east-1; then
	fail "a second cluster, its zonegroup's api_name us-east-1: $ceph_why"
	finish
fi
ok "a second cluster, its zonegroup's api_name us-east-1, up in $(($(date +%s) - t0)) s"
r=$work/s3-region
cp -r "$root/examples/s3" "$r"
rm -rf "$r/.lakeform"
sed -i "s#^      endpoint: .*#      endpoint: $endpoint#" "$r/lakeform.yaml"
# and policies gone without: recorded, never sent
sed -i 's/^      addressing: path/      addressing: path\n      features: {encryption: false, policy: false}/' "$r/lakeform.yaml"
none_encryption "$r"
run rapply "$r" apply --auto-approve
check "api_name us-east-1: apply exit 0" test "$rc" -eq 0
check "features: {policy: false}: the policies are recorded" has rapply "storage.policy/acme-lf-uc-use1"
check "features: {policy: false}: no bucket policy is sent" test -z "$(policy_sids acme-lf-uc-use1)"
check "api_name us-east-1: the store answers the region as the location" \
	test "$(aws s3api get-bucket-location --bucket acme-lf-default --query LocationConstraint --output text 2>/dev/null)" = us-east-1
run rnoop "$r" plan --detailed-exitcode
check "api_name us-east-1: plan after apply, no changes" test "$rc" -eq 0
check "api_name us-east-1: no warning about the location" hasnt rnoop "which is not an S3 region"
run rdestroy "$r" destroy --auto-approve
check "api_name us-east-1: destroy exit 0, no bucket left" test "$rc" -eq 0 -a -z "$(buckets)"
finish
