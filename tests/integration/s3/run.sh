#!/usr/bin/env bash
# run.sh LAKEFORM_BINARY - lakeform with the s3 provider against moto_server.
#
# Starts `moto_server -H 127.0.0.1 -p PORT` (INITIAL_NO_AUTH_ACTION_COUNT=3:
# the first three requests make an IAM user, its policy and its access key
# with /usr/bin/aws), then applies a copy of examples/s3 and checks every
# effect with /usr/bin/aws, independently of lakeform: buckets, tags,
# versioning, encryption, policies, prefix marker objects.  Then changes
# made behind lakeform's back (tags, versioning, policy, a deleted bucket)
# must show in `refresh` + `plan` and be healed by `apply`; spec.tags on
# buckets and markers, changed in place; the regional default storage of an
# eu-west-1 serverless workspace; wrong
# credentials, an unreachable endpoint and a bucket name owned by someone
# else must fail clearly; a bucket holding data is only destroyed with
# force_destroy; `destroy` leaves no bucket.  Issue 16's semantics on fresh
# copies: the order of creation and deletion (plan text, lakeform's output,
# the provider's requests), the workspace catalog's statements for its
# users and admins, owners' statements, a grant's change shown in the plan,
# removing a workspace (its catalog kept, its data-bearing bucket refused),
# `destroy --target` and `--exclude`.
#
# The provider's log (.lakeform/logs/s3.log: one line per request) gives the
# request counts printed as '# ' lines with the timings.
#
# Needs moto_server (moto 5: on PATH, or installed into build/moto by
# scripts/moto.sh), /usr/bin/aws (Debian's awscli), jq.
# S3_KEEP=1 keeps the work directory.  Prints one line per check and ends
# with `s3: N passed, N failed`; exits 0 iff none failed.
set -uo pipefail

lf=${1:?usage: run.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
layer=s3
# shellcheck source=../checks.sh
. "$root/tests/integration/checks.sh"
awsbin=/usr/bin/aws

info() { echo "# $*"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
quiet() { "$@" >/dev/null 2>&1; }

for tool in "$awsbin" jq; do
	if ! command -v "$tool" >/dev/null; then
		fail "needs $tool (make deps installs awscli and jq)"
		finish
	fi
done
# shellcheck source=moto-env.sh
. "$here/moto-env.sh"
if ! moto_find; then
	fail "needs moto_server: $moto_why"
	finish
fi

work=$(mktemp -d /tmp/lakeform-s3.XXXXXX)
moto_pid=
busy_pid=
cleanup() {
	for pid in $moto_pid $busy_pid ${wmoto_pid:-}; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [[ ${S3_KEEP:-0} == 1 ]]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# moto_server on a free port, authentication on, an IAM key for lakeform
# and aws (moto-env.sh, shared with backend.sh and the s3 bench)
key=
moto_start
check "moto_server listens on $port" moto_port_open "$port"
if [[ -z $key || $key == null ]]; then
	fail "iam access key made with aws"
	finish
fi
ok "iam access key made with aws"

# run NAME DIR ARGS...: lakeform, its output in $work/NAME.out, status in $rc
rc=0
run() {
	local name=$1 dir=$2
	shift 2
	"$lf" -C "$dir" "$@" >"$work/$name.out" 2>&1
	rc=$?
}
out() { cat "$work/$1.out"; }
has() { grep -q -- "$2" "$work/$1.out"; }
requests() { grep -c ' request ' "$1/.lakeform/logs/s3.log" 2>/dev/null || echo 0; }
buckets() { aws s3api list-buckets --query 'Buckets[].Name' --output text 2>/dev/null | tr '\t' '\n' | sort; }
tag() { # tag BUCKET KEY: a bucket tag's value
	aws s3api get-bucket-tagging --bucket "$1" --output json 2>/dev/null |
		jq -r --arg k "$2" '.TagSet[] | select(.Key == $k) | .Value'
}
versioning() { aws s3api get-bucket-versioning --bucket "$1" --query Status --output text 2>/dev/null; }
encryption() { # "ALGORITHM" or "ALGORITHM KEY", as GetBucketEncryption answers
	aws s3api get-bucket-encryption --bucket "$1" --output json 2>/dev/null |
		jq -r '.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault |
			[.SSEAlgorithm, .KMSMasterKeyID // empty] | join(" ")'
}
policy() { aws s3api get-bucket-policy --bucket "$1" --query Policy --output text 2>/dev/null; }

newcfg() { # newcfg NAME: a fresh copy of examples/s3
	rm -rf "${work:?}/$1"
	cp -r "$root/examples/s3" "$work/$1"
	rm -rf "$work/$1/.lakeform"
	echo "$work/$1"
}

# ---- wrong credentials: a clear error, nothing created -----------------
cfg=$(newcfg badkey)
AWS_SECRET_ACCESS_KEY=not-the-secret run badkey "$cfg" apply --auto-approve
check "wrong secret: apply fails" test $rc -ne 0
check "wrong secret: the error names the signature" has badkey "SignatureDoesNotMatch"
check "wrong secret: the error says the secret does not match the key" \
	has badkey "secret access key does not match"
run badkey-state "$cfg" state list
check "wrong secret: no storage object recorded" bash -c "! grep -q '^storage\.' '$work/badkey-state.out'"
check "wrong secret: no bucket made" test -z "$(buckets)"
AWS_ACCESS_KEY_ID=AKIANOBODY run badid "$cfg" apply --auto-approve
check "unknown key id: a clear error" has badid "InvalidAccessKeyId"

# ---- settings refused before any request --------------------------------
cfg=$(newcfg nocreds)
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY "$lf" -C "$cfg" apply --auto-approve \
	>"$work/nocreds.out" 2>&1
check "no credentials: a clear configure error" has nocreds "no s3 credentials: set 'access_key_id'"
cfg=$(newcfg tls)
sed -i 's#^      endpoint: .*#      endpoint: https://s3.example.com\n      tls_verify: false#' "$cfg/lakeform.yaml"
env -u AWS_ENDPOINT_URL "$lf" -C "$cfg" apply --auto-approve >"$work/tls.out" 2>&1
check "tls_verify false refused for a remote endpoint" \
	has tls "'tls_verify: false' is only allowed for an endpoint on this machine"
run tls-state "$cfg" state list
check "refused settings: nothing recorded" test ! -s "$work/tls-state.out"

# ---- unreachable endpoint: a clear error, fast -------------------------
cfg=$(newcfg unreachable)
dead=$((port + 1))
while moto_port_open "$dead"; do dead=$((dead + 1)); done
t0=$(now_ms)
AWS_ENDPOINT_URL=http://127.0.0.1:$dead run unreachable "$cfg" apply --auto-approve
t1=$(now_ms)
check "unreachable endpoint: apply fails" test $rc -ne 0
check "unreachable endpoint: the error says it cannot reach s3" has unreachable "cannot reach s3 at 'http://127.0.0.1:$dead'"
check "unreachable endpoint: fails within 20 s ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 20000
info "unreachable endpoint: apply failed after $((t1 - t0)) ms"

# ---- a store that keeps saying SlowDown: retried, then retryable 1004 ---
busy=$((dead + 1))
while moto_port_open "$busy"; do busy=$((busy + 1)); done
python3 - "$busy" >"$work/busy.log" 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        n = int(self.headers.get('Content-Length') or 0)
        if n:
            self.rfile.read(n)
        body = b'<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'
        self.send_response(503)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
    do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = answer
http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()
PY
busy_pid=$!
for _ in $(seq 50); do moto_port_open "$busy" && break; sleep 0.1; done
cfg=$(newcfg busy)
t0=$(now_ms)
AWS_ENDPOINT_URL=http://127.0.0.1:$busy run busy "$cfg" apply --auto-approve
t1=$(now_ms)
kill "$busy_pid" 2>/dev/null
wait "$busy_pid" 2>/dev/null
check "SlowDown: apply fails" test $rc -ne 0
check "SlowDown: the error says s3 is busy" has busy "s3 is busy for bucket 'acme-lf-default': 503 SlowDown"
# one call: 4 attempts in the provider; lakeform retries the retryable error 4 times
tries=$(grep -c 'request GET /acme-lf-default?tagging= 503 SlowDown' "$cfg/.lakeform/logs/s3.log")
check "SlowDown: retried inside the provider and by lakeform ($tries requests for one bucket)" test "$tries" -eq 16
info "SlowDown: apply gave up after $((t1 - t0)) ms"

# ---- a bucket name someone else owns: conflict -------------------------
mkdir -p "$work/taken"
cp "$root/examples/s3/lakeform.yaml" "$work/taken/"
cat >"$work/taken/account.yaml" <<'YAML'
apiVersion: lakeform/v1
kind: Account
metadata:
  name: acme
spec:
  default_storage:
    bucket: someone-elses-bucket
    region: us-east-1
YAML
aws s3api create-bucket --bucket someone-elses-bucket >/dev/null
run taken "$work/taken" apply --auto-approve
check "foreign bucket: apply fails" test $rc -ne 0
check "foreign bucket: conflict message" has taken "bucket 'someone-elses-bucket' exists and was not made by lakeform"
check "foreign bucket: left without tags" test -z "$(tag someone-elses-bucket lakeform/address)"
aws s3api delete-bucket --bucket someone-elses-bucket

# ---- virtual-hosted addressing: bucket.localhost:PORT --------------------
mkdir -p "$work/virtual"
cat >"$work/virtual/lakeform.yaml" <<'YAML'
providers:
  storage:
    name: s3
    settings: {addressing: virtual}
YAML
sed 's/someone-elses-bucket/acme-lf-virtual/' "$work/taken/account.yaml" >"$work/virtual/account.yaml"
AWS_ENDPOINT_URL=http://localhost:$port run virtual "$work/virtual" apply --auto-approve
check "virtual addressing: apply" test $rc -eq 0
check "virtual addressing: aws sees the bucket labelled" test "$(tag acme-lf-virtual lakeform/address)" == storage.bucket/acme-lf-virtual
check "virtual addressing: the bucket was named in the host (PUT /)" grep -q '"PUT / HTTP/1.1" 200' "$work/moto.log"
AWS_ENDPOINT_URL=http://localhost:$port run virtual-destroy "$work/virtual" destroy --auto-approve
check "virtual addressing: destroy" test $rc -eq 0 -a -z "$(buckets)"

# ---- apply examples/s3, then every effect seen by aws ------------------
cfg=$(newcfg main)
t0=$(now_ms)
run apply "$cfg" apply --auto-approve
t1=$(now_ms)
check "apply examples/s3" test $rc -eq 0
[[ $rc -eq 0 ]] || out apply | tail -n 20
apply_ms=$((t1 - t0))
apply_req=$(requests "$cfg")
info "apply: $apply_ms ms, $apply_req S3 requests"

run plan0 "$cfg" plan --detailed-exitcode
check "plan after apply: no changes (exit 0)" test $rc -eq 0

want="acme-lf-default
acme-lf-uc-use1
acme-lf-ws-etl"
check "aws: the three buckets exist" test "$(buckets)" == "$want"
for b in acme-lf-default acme-lf-uc-use1 acme-lf-ws-etl; do
	check "aws: $b tagged lakeform/address" test "$(tag $b lakeform/address)" == "storage.bucket/$b"
	check "aws: $b tagged lakeform/account" test "$(tag $b lakeform/account)" == "acme"
	check "aws: $b encrypted AES256" test "$(encryption $b)" == AES256
done
check "aws: purpose tag recorded" test "$(tag acme-lf-ws-etl lakeform:purpose)" == workspace
check "aws: force_destroy tag recorded" test "$(tag acme-lf-ws-etl lakeform:force_destroy)" == true
check "aws: metastore bucket versioned" test "$(versioning acme-lf-uc-use1)" == Enabled
check "aws: default storage versioned" test "$(versioning acme-lf-default)" == Enabled
check "aws: workspace bucket not versioned" test "$(versioning acme-lf-ws-etl)" != Enabled

pol=$(policy acme-lf-uc-use1)
check "aws: policy Id carries the labels" test "$(jq -r .Id <<<"$pol")" == \
	"lakeform/account=acme;lakeform/address=storage.policy/acme-lf-uc-use1"
check "aws: analysts may read sales" test "$(jq -r '.Statement[] | select(.Principal.AWS == "arn:aws:iam::123456789012:role/analysts" and (.Action == ["s3:GetObject"])) | .Resource' <<<"$pol")" == "arn:aws:s3:::acme-lf-uc-use1/catalogs/sales/*"
check "aws: etl-bot may write sales.raw" bash -c "jq -e '.Statement[] | select(.Principal.AWS == \"arn:aws:iam::123456789012:role/etl-bot\" and (.Action | index(\"s3:PutObject\")) and .Resource == \"arn:aws:s3:::acme-lf-uc-use1/catalogs/sales/schemas/raw/*\")' >/dev/null <<<'$pol'"
check "aws: listing limited to the granted prefix" bash -c "jq -e '.Statement[] | select(.Action == \"s3:ListBucket\" and .Condition.StringLike.\"s3:prefix\" == \"catalogs/sales/*\")' >/dev/null <<<'$pol'"
check "aws: workspace bucket policy exists" test -n "$(policy acme-lf-ws-etl)"
check "aws: default storage has no policy" test -z "$(policy acme-lf-default)"

for p in acme-lf-uc-use1:catalogs/sales/ acme-lf-uc-use1:catalogs/sales/schemas/raw/ \
	acme-lf-ws-etl:catalogs/etl/ acme-lf-ws-etl:catalogs/etl/schemas/default/; do
	b=${p%%:*} k=${p#*:}
	check "aws: marker object s3://$b/$k" quiet aws s3api head-object --bucket "$b" --key "$k"
	check "aws: marker s3://$b/$k labelled" test "$(aws s3api get-object-tagging --bucket "$b" --key "$k" \
		--output json | jq -r '.TagSet[] | select(.Key == "lakeform/address") | .Value')" == "storage.prefix/$b/${k%/}"
done

# no-change refresh + plan, and plan alone: time and requests
r0=$(requests "$cfg")
t0=$(now_ms)
run refresh0 "$cfg" refresh
t1=$(now_ms)
r1=$(requests "$cfg")
check "no-change refresh succeeds" test $rc -eq 0
run plan1 "$cfg" plan --detailed-exitcode
t2=$(now_ms)
r2=$(requests "$cfg")
check "plan after refresh: no changes (exit 0)" test $rc -eq 0
[[ $rc -eq 0 ]] || out plan1 | head -n 40
info "no-change refresh: $((t1 - t0)) ms, $((r1 - r0)) S3 requests; plan after it: $((t2 - t1)) ms, $((r2 - r1)) S3 requests"
t0=$(now_ms)
run plan2 "$cfg" plan
t1=$(now_ms)
info "plan alone: $((t1 - t0)) ms, $(($(requests "$cfg") - r2)) S3 requests"

# ---- drift behind lakeform's back --------------------------------------
aws s3api put-bucket-tagging --bucket acme-lf-ws-etl \
	--tagging 'TagSet=[{Key=owner,Value=someone}]'
aws s3api put-bucket-versioning --bucket acme-lf-uc-use1 \
	--versioning-configuration Status=Suspended
aws s3api put-bucket-encryption --bucket acme-lf-default --server-side-encryption-configuration \
	'{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"alias/by-hand"}}]}'
check "aws: encryption changed by hand" test "$(encryption acme-lf-default)" == "aws:kms alias/by-hand"
aws s3api put-bucket-policy --bucket acme-lf-ws-etl --policy \
	'{"Version":"2012-10-17","Statement":[{"Sid":"Everyone","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-lf-ws-etl/*"}]}'
# drift reads the same, says it field by field, and writes nothing
serial0=$("$lf" -C "$cfg" state pull | jq .serial)
run drift0 "$cfg" drift
check "drift after changes behind lakeform's back: exit 2" test $rc -eq 2
check "drift names the retagged bucket" has drift0 "storage.bucket/acme-lf-ws-etl"
check "drift names the unversioned bucket" has drift0 "storage.bucket/acme-lf-uc-use1"
check "drift names the re-encrypted bucket" has drift0 "storage.bucket/acme-lf-default"
check "drift says its encryption" has drift0 "alias/by-hand"
check "drift names the changed policy" has drift0 "storage.policy/acme-lf-ws-etl"
check "drift wrote no state" test "$("$lf" -C "$cfg" state pull | jq .serial)" = "$serial0"
run refresh1 "$cfg" refresh
check "refresh after drift" test $rc -eq 0
run drift "$cfg" plan --detailed-exitcode
check "plan after drift: changes (exit 2)" test $rc -eq 2
check "plan shows the retagged bucket" has drift "~ storage.bucket/acme-lf-ws-etl"
check "plan shows the unversioned bucket" has drift "~ storage.bucket/acme-lf-uc-use1"
check "plan shows the re-encrypted bucket" has drift "~ storage.bucket/acme-lf-default"
check "plan shows the changed policy" has drift "~ storage.policy/acme-lf-ws-etl"
run heal "$cfg" apply --auto-approve
check "apply heals the drift" test $rc -eq 0
check "aws: tags back" test "$(tag acme-lf-ws-etl lakeform/address)" == storage.bucket/acme-lf-ws-etl
check "aws: versioning back" test "$(versioning acme-lf-uc-use1)" == Enabled
check "aws: encryption back to AES256" test "$(encryption acme-lf-default)" == AES256
check "aws: policy back" test "$(policy acme-lf-ws-etl | jq -r .Id)" == \
	"lakeform/account=acme;lakeform/address=storage.policy/acme-lf-ws-etl"
run refresh2 "$cfg" refresh
run healed "$cfg" plan --detailed-exitcode
check "plan after healing: no changes (exit 0)" test $rc -eq 0

# ---- encryption asked for in the manifest: SSE-KMS with a key, in place ----
sed -i 's/^    versioning: true$/    versioning: true\n    encryption: {algorithm: "aws:kms", kms_key_id: alias\/acme-uc}/' \
	"$cfg/20-metastore.yaml"
run kms "$cfg" apply --auto-approve
check "kms: apply" test $rc -eq 0
check "kms: only updates in place" has kms "Resources: 0 added, [0-9]* changed, 0 destroyed"
check "aws: metastore bucket encrypted aws:kms with its key" \
	test "$(encryption acme-lf-uc-use1)" == "aws:kms alias/acme-uc"
check "aws: the other buckets stay AES256" test "$(encryption acme-lf-ws-etl)" == AES256
run refresh3 "$cfg" refresh
run kms2 "$cfg" plan --detailed-exitcode
check "kms: plan after it has no changes (exit 0)" test $rc -eq 0
# none only on a store without encryption: refused here, before any request
sed -i 's/^    region: us-east-1$/    region: us-east-1\n    encryption: {algorithm: none}/' "$cfg/00-account.yaml"
run none "$cfg" apply --auto-approve
check "encryption none on a store that encrypts: apply exit 1" test $rc -eq 1
check "encryption none: says why" has none "bucket 'acme-lf-default' asks for encryption none, which only a store without default encryption can honour"
check "aws: default storage still AES256" test "$(encryption acme-lf-default)" == AES256
sed -i '/^    encryption: {algorithm: none}$/d' "$cfg/00-account.yaml"

# ---- spec.tags: S3 tags on buckets, object tags on prefix markers -------
otag() { # otag BUCKET KEY TAG: an object tag's value
	aws s3api get-object-tagging --bucket "$1" --key "$2" --output json 2>/dev/null |
		jq -r --arg k "$3" '.TagSet[] | select(.Key == $k) | .Value'
}
printf '  tags:\n    cost-center: "4711"\n    team: platform\n' >>"$cfg/00-account.yaml"
printf '  tags:\n    team: etl\n' >>"$cfg/30-workspace.yaml"
run tags "$cfg" apply --auto-approve
check "tags: apply" test $rc -eq 0
check "tags: only updates in place" has tags "Resources: 0 added, [0-9]* changed, 0 destroyed"
check "aws: default storage tagged cost-center" test "$(tag acme-lf-default cost-center)" == 4711
check "aws: default storage tagged team=platform" test "$(tag acme-lf-default team)" == platform
check "aws: workspace bucket tagged with the account's tag" test "$(tag acme-lf-ws-etl cost-center)" == 4711
check "aws: workspace bucket's own tag over the account's" test "$(tag acme-lf-ws-etl team)" == etl
check "aws: workspace bucket keeps lakeform's labels beside them" \
	test "$(tag acme-lf-ws-etl lakeform/address)" == storage.bucket/acme-lf-ws-etl
check "aws: catalog marker carries the account's tags" \
	test "$(otag acme-lf-uc-use1 catalogs/sales/ team)" == platform
check "aws: workspace catalog marker carries the workspace's" \
	test "$(otag acme-lf-ws-etl catalogs/etl/ team)" == etl
check "aws: a marker keeps its lakeform labels beside the tags" \
	test "$(otag acme-lf-ws-etl catalogs/etl/ lakeform/address)" == storage.prefix/acme-lf-ws-etl/catalogs/etl
sed -i 's/team: etl/team: ingest/' "$cfg/30-workspace.yaml"
run retag-plan "$cfg" plan
check "tags: a changed tag is planned as an update" has retag-plan "~ tags.team: \"etl\" -> \"ingest\""
check "tags: no replace" has retag-plan "0 to add, [0-9]* to change, 0 to replace, 0 to destroy"
run retag "$cfg" apply --auto-approve
check "tags: the change applied in place" has retag "Resources: 0 added, [0-9]* changed, 0 destroyed"
check "aws: bucket tag changed" test "$(tag acme-lf-ws-etl team)" == ingest
check "aws: marker tag changed" test "$(otag acme-lf-ws-etl catalogs/etl/ team)" == ingest
check "aws: the account's buckets keep theirs" test "$(tag acme-lf-default team)" == platform
aws s3api put-object-tagging --bucket acme-lf-ws-etl --key catalogs/etl/ \
	--tagging 'TagSet=[{Key=team,Value=someone}]'
run retag-refresh "$cfg" refresh
run retag-drift "$cfg" plan
check "tags: a marker retagged behind lakeform's back shows in the plan" \
	has retag-drift "~ tags.team: \"someone\" -> \"ingest\""
run retag-heal "$cfg" apply --auto-approve
check "aws: marker tags healed" test "$(otag acme-lf-ws-etl catalogs/etl/ team)" == ingest
run refresh3 "$cfg" refresh
run tagged "$cfg" plan --detailed-exitcode
check "plan after tagging: no changes (exit 0)" test $rc -eq 0
[[ $rc -eq 0 ]] || out tagged | head -n 40

# ---- serverless default storage is regional ------------------------------
# a serverless workspace in eu-west-1 without a bucket: the account's default
# storage of eu-west-1, acme-lf-default-eu-west-1, made in eu-west-1
cat >"$cfg/31-eu.yaml" <<'YAML'
apiVersion: lakeform/v1
kind: Workspace
metadata:
  name: reports-eu
spec:
  region: eu-west-1
  compute: serverless
YAML
run regional "$cfg" apply --auto-approve
check "regional default storage: apply" test $rc -eq 0
[[ $rc -eq 0 ]] || out regional | tail -n 20
check "aws: acme-lf-default-eu-west-1 exists" quiet aws s3api head-bucket --bucket acme-lf-default-eu-west-1
check "aws: acme-lf-default-eu-west-1 is in eu-west-1" test "$(aws s3api get-bucket-location \
	--bucket acme-lf-default-eu-west-1 --query LocationConstraint --output text 2>/dev/null)" == eu-west-1
check "aws: acme-lf-default-eu-west-1 labelled" \
	test "$(tag acme-lf-default-eu-west-1 lakeform/address)" == storage.bucket/acme-lf-default-eu-west-1
check "aws: acme-lf-default-eu-west-1 carries the account's tags" \
	test "$(tag acme-lf-default-eu-west-1 team)" == platform
check "aws: acme-lf-default-eu-west-1 versioned as the default storage" \
	test "$(versioning acme-lf-default-eu-west-1)" == Enabled
check "aws: the EU workspace's marker is in it" \
	quiet aws s3api head-object --bucket acme-lf-default-eu-west-1 --key workspaces/reports-eu/
check "aws: nothing of the EU workspace in the us-east-1 default storage" \
	bash -c "! aws s3api head-object --bucket acme-lf-default --key workspaces/reports-eu/ >/dev/null 2>&1"
rm "$cfg/31-eu.yaml"
run unregional "$cfg" apply --auto-approve
check "regional default storage: removed with the last workspace needing it" test $rc -eq 0
check "aws: acme-lf-default-eu-west-1 is gone" \
	bash -c "! aws s3api head-bucket --bucket acme-lf-default-eu-west-1 >/dev/null 2>&1"

# a grant to a principal the settings have no ARN for
cat >"$cfg/60-carol.yaml" <<'YAML'
apiVersion: lakeform/v1
kind: User
metadata:
  name: carol@acme.example
spec:
  display_name: Carol
---
apiVersion: lakeform/v1
kind: Grant
metadata:
  name: carol-reads-default
spec:
  principal: user:carol@acme.example
  securable: {type: bucket, name: acme-lf-default}
  privileges: [READ_FILES]
YAML
run unmapped "$cfg" apply --auto-approve
check "unmapped principal: apply fails" test $rc -ne 0
check "unmapped principal: says which and where to map it" \
	has unmapped "principal 'user:carol@acme.example' has no ARN: add it to the s3 provider's settings 'principals'"
check "unmapped principal: no policy written" test -z "$(policy acme-lf-default)"
rm "$cfg/60-carol.yaml"
run mapped "$cfg" apply --auto-approve
check "without the grant: apply succeeds" test $rc -eq 0

aws s3api delete-bucket --bucket acme-lf-default
run refresh3 "$cfg" refresh
run gone "$cfg" plan --detailed-exitcode
check "deleted bucket: plan exits 2" test $rc -eq 2
check "deleted bucket: plan creates it again" has gone "+ storage.bucket/acme-lf-default"
run recreate "$cfg" apply --auto-approve
check "deleted bucket: apply recreates it" test $rc -eq 0
check "aws: deleted bucket is back, labelled" test "$(tag acme-lf-default lakeform/address)" == storage.bucket/acme-lf-default

# ---- destroy: data only goes with force_destroy -------------------------
echo data >"$work/object"
aws s3api put-object --bucket acme-lf-uc-use1 --key catalogs/sales/t1/part-0 --body "$work/object" >/dev/null
aws s3api put-object --bucket acme-lf-uc-use1 --key catalogs/sales/t1/part-0 --body "$work/object" >/dev/null
aws s3api put-object --bucket acme-lf-ws-etl --key scratch/tmp-0 --body "$work/object" >/dev/null
run destroy1 "$cfg" destroy --auto-approve
check "destroy with data: fails" test $rc -ne 0
check "destroy with data: says the bucket is not empty" has destroy1 "bucket 'acme-lf-uc-use1' is not empty"
check "destroy with data: the bucket and its object stay" \
	quiet aws s3api head-object --bucket acme-lf-uc-use1 --key catalogs/sales/t1/part-0
check "destroy: force_destroy bucket went with its object" bash -c "! grep -qx acme-lf-ws-etl <<<'$(buckets)'"
check "destroy: the empty default storage went" bash -c "! grep -qx acme-lf-default <<<'$(buckets)'"

sed -i 's/^    versioning: true$/    versioning: true\n    force_destroy: true/' "$cfg/20-metastore.yaml"
run force "$cfg" apply --auto-approve
check "force_destroy set by apply" test $rc -eq 0
check "aws: force_destroy tag now true" test "$(tag acme-lf-uc-use1 lakeform:force_destroy)" == true
run destroy2 "$cfg" destroy --auto-approve
check "destroy with force_destroy: succeeds" test $rc -eq 0
[[ $rc -eq 0 ]] || out destroy2 | tail -n 20
check "destroy leaves no bucket (aws s3api list-buckets)" test -z "$(buckets)"
run empty "$cfg" state list
check "destroy leaves no storage object in the state" bash -c "! grep -q '^storage\.' '$work/empty.out'"

# ---- usage: what aws put under a workspace's storage, measured ------------
# examples/s3 with buckets of its own, a serverless workspace 'lab' (a
# prefix of the default storage) and a price list.  Objects uploaded with
# aws: 1000 + 3000 bytes in etl's bucket, 700 in lab's prefix, 700 beside
# it (not lab's).  By hand, etl's 1 node of 0.5 CPU and 512 MiB:
# 730 x (0.5 x 0.05 + 0.5 x 0.01) = 21.90 USD a month; 4000 bytes of
# storage cost less than a cent.
cfg=$(newcfg usage)
sed -i 's/acme-lf-/acme-use-/g' "$cfg"/*.yaml
# versioned: what aws deletes leaves versions, which force_destroy takes
sed -i 's/^    versioning: true$/    versioning: true\n    force_destroy: true/' "$cfg"/*.yaml
cat >>"$cfg/30-workspace.yaml" <<'YAML'
---
apiVersion: lakeform/v1
kind: Workspace
metadata:
  name: lab
spec:
  region: us-east-1
  compute: serverless
YAML
cat >"$cfg/90-prices.yaml" <<'YAML'
apiVersion: lakeform/v1
kind: PriceList
metadata:
  name: list
spec:
  currency: USD
  regions:
    us-east-1: {cpu_hour: 0.05, memory_gib_hour: 0.01, storage_gib_month: 0.023}
YAML
run usage-apply "$cfg" apply --auto-approve
check "usage: apply" test $rc -eq 0
[[ $rc -eq 0 ]] || out usage-apply | tail -n 20
head -c 1000 /dev/zero >"$work/o1000"
head -c 3000 /dev/zero >"$work/o3000"
head -c 700 /dev/zero >"$work/o700"
aws s3api put-object --bucket acme-use-ws-etl --key scratch/a --body "$work/o1000" >/dev/null
aws s3api put-object --bucket acme-use-ws-etl --key tables/t/part-0 --body "$work/o3000" >/dev/null
aws s3api put-object --bucket acme-use-default --key workspaces/lab/notes.txt --body "$work/o700" >/dev/null
aws s3api put-object --bucket acme-use-default --key elsewhere/x --body "$work/o700" >/dev/null
run usage "$cfg" usage --json
check "usage: exit 0" test $rc -eq 0
[[ $rc -eq 0 ]] || out usage | tail -n 20
ws() { jq -r --arg w "$1" ".workspaces[] | select(.workspace == \$w) | $2" "$work/usage.out" 2>/dev/null; }
check "usage: etl's bucket holds 4000 bytes in 2 objects (ListObjectsV2)" \
	test "$(ws etl '"\(.bytes) \(.objects)"')" == "4000 2"
check "usage: lab's prefix holds 700 bytes in 1 object, not what is beside it" \
	test "$(ws lab '"\(.bytes) \(.objects)"')" == "700 1"
check "usage: etl priced by hand: 21.90 USD a month" \
	test "$(ws etl '.monthly.total')" == "21.90"
check "usage: no note (s3 and local-compute both answer usage)" \
	test "$(jq '[.workspaces[].notes[]] | length' "$work/usage.out" 2>/dev/null)" == 0
run usage-destroy "$cfg" destroy --auto-approve
check "usage: destroy leaves no bucket" test $rc -eq 0 -a -z "$(buckets)"
[[ $rc -eq 0 ]] || out usage-destroy | tail -n 20

# ---- issue 16's semantics, seen by aws ------------------------------------
# On fresh copies of examples/s3; each part ends with nothing left in moto.
# lineof FILE RE: the number of the first line matching; before FILE A B:
# a line matching A comes before the first line matching B (both present)
lineof() { grep -n -m1 -E -- "$2" "$1" | cut -d: -f1; }
before() {
	local a b
	a=$(lineof "$1" "$2")
	b=$(lineof "$1" "$3")
	[[ -n $a && -n $b && $a -lt $b ]]
}
not() { ! "$@"; }
# newlog DIR NAME: the provider's requests since the last newlog of DIR,
# in $work/NAME.log
newlog() {
	local n
	n=$(cat "$1.seen" 2>/dev/null || echo 0)
	tail -n +$((n + 1)) "$1/.lakeform/logs/s3.log" | grep ' request ' >"$work/$2.log"
	wc -l <"$1/.lakeform/logs/s3.log" >"$1.seen"
}
marker() { quiet aws s3api head-object --bucket "$1" --key "$2"; }
bucket_exists() { quiet aws s3api head-bucket --bucket "$1"; }
# stmt BUCKET PRINCIPAL KIND PATH: the bucket's policy gives the principal
# (the last part of its ARN) a statement whose Sid starts with
# Lakeform<KIND> (Read, Write, List) on PATH (an object pattern; for List
# the s3:prefix condition)
stmt() {
	policy "$1" | jq -e --arg p "$2" --arg k "$3" --arg r "$4" --arg b "$1" '
		[.Statement[] | select((.Principal.AWS | split("/") | last) == $p)
		 | select(.Sid | startswith("Lakeform" + $k))
		 | if $k == "List" then .Condition.StringLike."s3:prefix"
		   else (.Resource | if type == "array" then .[] else . end
		         | ltrimstr("arn:aws:s3:::" + $b + "/")) end]
		| flatten | index($r) != null' >/dev/null
}
# only_under BUCKET PRINCIPAL PREFIX: the principal has statements, and
# every path and listed prefix they give is under PREFIX
only_under() {
	policy "$1" | jq -e --arg p "$2" --arg u "$3" --arg b "$1" '
		[.Statement[] | select((.Principal.AWS | split("/") | last) == $p)
		 | (.Condition.StringLike."s3:prefix" // (.Resource
		    | if type == "array" then .[] else . end | ltrimstr("arn:aws:s3:::" + $b + "/")))]
		| length > 0 and all(startswith($u))' >/dev/null
}
# nostmt BUCKET PRINCIPAL: no statement names the principal (or no policy)
nostmt() {
	local p
	p=$(policy "$1")
	[[ -z $p ]] || jq -e --arg p "$2" \
		'[.Statement[] | select((.Principal.AWS | split("/") | last) == $p)] | length == 0' >/dev/null <<<"$p"
}
# dropdoc FILE NAME: remove the document named NAME from a manifest file
dropdoc() {
	python3 - "$1" "$2" <<'PY'
import sys
p, name = sys.argv[1], sys.argv[2]
docs = open(p).read().split('---\n')
open(p, 'w').write('---\n'.join(d for d in docs if f'name: {name}\n' not in d))
PY
}

# 13, order: from nothing in one apply; the plan and the requests put a
# bucket before what is built from it
cfg=$(newcfg sem)
"$lf" -C "$cfg" plan >"$work/sem-plan.out" 2>&1
check "order: the plan lists the workspace's bucket before the workspace" \
	before "$work/sem-plan.out" '\+ storage\.bucket/acme-lf-ws-etl$' '\+ workspace/etl$'
check "order: the plan lists the workspace's bucket before its catalog's prefix" \
	before "$work/sem-plan.out" '\+ storage\.bucket/acme-lf-ws-etl$' '\+ storage\.prefix/acme-lf-ws-etl/catalogs/etl$'
check "order: the plan lists the metastore's bucket before the metastore" \
	before "$work/sem-plan.out" '\+ storage\.bucket/acme-lf-uc-use1$' '\+ metastore/main-use1$'
run sem-apply "$cfg" apply --auto-approve
check "order: apply from nothing succeeds in one run" test $rc -eq 0
[[ $rc -eq 0 ]] || out sem-apply | tail -n 20
newlog "$cfg" sem-apply
check "order: the workspace is created after its bucket was" \
	before "$work/sem-apply.out" '^storage\.bucket/acme-lf-ws-etl: created' '^workspace/etl: creating'
check "order: the workspace is created after its network was" \
	before "$work/sem-apply.out" '^compute\.network/etl: created' '^workspace/etl: creating'
check "order: moto made acme-lf-ws-etl before the workspace catalog's marker in it" \
	before "$work/sem-apply.log" 'request PUT /acme-lf-ws-etl 200' 'request PUT /acme-lf-ws-etl/catalogs/etl/ 200'
check "order: moto made acme-lf-uc-use1 before the sales catalog's marker in it" \
	before "$work/sem-apply.log" 'request PUT /acme-lf-uc-use1 200' 'request PUT /acme-lf-uc-use1/catalogs/sales/ 200'

# 10, the workspace catalog: its users use it and create in 'default' (a
# write statement there) and reach nothing else of it; its admins own it
check "workspace catalog: its users (analysts) may write in default" \
	stmt acme-lf-ws-etl analysts Write 'catalogs/etl/schemas/default/*'
check "workspace catalog: its users may list default" \
	stmt acme-lf-ws-etl analysts List 'catalogs/etl/schemas/default/*'
check "workspace catalog: its users reach nothing outside default" \
	only_under acme-lf-ws-etl analysts catalogs/etl/schemas/default/
check "workspace catalog: its users may not read the whole catalog" \
	not stmt acme-lf-ws-etl analysts Read 'catalogs/etl/*'
check "workspace catalog: its admin (alice) owns it: writes the whole catalog" \
	stmt acme-lf-ws-etl alice Write 'catalogs/etl/*'
check "workspace catalog: its admin lists the whole catalog" \
	stmt acme-lf-ws-etl alice List 'catalogs/etl/*'
run sem-show "$cfg" state show catalog/main-use1/etl
check "workspace catalog: recorded with its admin as owner" has sem-show 'user:alice@acme.example'

# 11, owners: alice owns catalog sales (no grant names her), etl-bot owns
# sales.raw; without etl-bot's grant the owner still reaches raw; a new
# owner takes the statement over
check "owner: alice, owner of catalog sales without a grant, writes its location" \
	stmt acme-lf-uc-use1 alice Write 'catalogs/sales/*'
check "owner: alice lists it" stmt acme-lf-uc-use1 alice List 'catalogs/sales/*'
dropdoc "$cfg/50-grants.yaml" etl-bot-writes-raw
run sem-nogrant "$cfg" apply --auto-approve
check "owner: apply without etl-bot's grant on sales.raw" test $rc -eq 0
check "owner: etl-bot, owner of schema sales.raw, still writes its location" \
	stmt acme-lf-uc-use1 etl-bot Write 'catalogs/sales/schemas/raw/*'
check "owner: etl-bot reaches nothing else of the metastore's bucket" \
	only_under acme-lf-uc-use1 etl-bot catalogs/sales/schemas/raw/
sed -i 's/owner: service_principal:etl-bot/owner: user:bob@acme.example/' "$cfg/40-catalog.yaml"
run sem-owner "$cfg" apply --auto-approve
check "owner: apply with bob owning sales.raw" test $rc -eq 0
check "owner: bob, the new owner, writes sales.raw's location" \
	stmt acme-lf-uc-use1 bob Write 'catalogs/sales/schemas/raw/*'
check "owner: etl-bot, owner no more and without a grant, has no statement" \
	nostmt acme-lf-uc-use1 etl-bot

# 17, a grant's change in the plan: its privileges, the policy under it
sed -i 's/privileges: \[USE_CATALOG, USE_SCHEMA, SELECT\]/privileges: [USE_CATALOG, USE_SCHEMA, SELECT, MODIFY]/' \
	"$cfg/50-grants.yaml"
run sem-grant "$cfg" plan
check "grant change: the plan shows the privileges before and after" has sem-grant \
	'~ spec.privileges: \["USE_CATALOG","USE_SCHEMA","SELECT"\] -> \["USE_CATALOG","USE_SCHEMA","SELECT","MODIFY"\]'
check "grant change: the policy change is listed right under the grant" \
	test "$(grep -E '^ *[-+~=] [a-z][a-z_.]*/' "$work/sem-grant.out" | grep -A1 -F '~ grant/analysts-read-sales' |
		sed -n 2p | tr -d ' ')" == '~storage.policy/acme-lf-uc-use1'
check "grant change: the policy says which grant changed it" \
	has sem-grant '# changed by grant/analysts-read-sales'
check "grant change: not shown as part of the account" not has sem-grant 'part of account/acme'
check "grant change: the statement's access goes from read to write" \
	has sem-grant '+ access: "write"'
run sem-grant-apply "$cfg" apply --auto-approve
check "grant change: applied" test $rc -eq 0
check "grant change: aws sees analysts write sales" stmt acme-lf-uc-use1 analysts Write 'catalogs/sales/*'
check "grant change: and no read statement left for them" not stmt acme-lf-uc-use1 analysts Read 'catalogs/sales/*'

# 13, order on destroy: one run; markers deleted before their bucket
run sem-destroy "$cfg" destroy --auto-approve
check "order: destroy succeeds in one run" test $rc -eq 0
[[ $rc -eq 0 ]] || out sem-destroy | tail -n 20
newlog "$cfg" sem-destroy
check "order: the destroy plan lists the workspace before its bucket" \
	before "$work/sem-destroy.out" '^ *- workspace/etl$' '^ *- storage\.bucket/acme-lf-ws-etl$'
check "order: the workspace's bucket is deleted after the workspace was" \
	before "$work/sem-destroy.out" '^workspace/etl: destroyed' '^storage\.bucket/acme-lf-ws-etl: destroying'
check "order: the workspace's network is deleted after the workspace was" \
	before "$work/sem-destroy.out" '^workspace/etl: destroyed' '^compute\.network/etl: destroying'
check "order: the sales marker deleted before its bucket" \
	before "$work/sem-destroy.log" 'request DELETE /acme-lf-uc-use1/catalogs/sales/[ ?]' 'request DELETE /acme-lf-uc-use1 '
check "order: the workspace catalog's marker deleted before its bucket" \
	before "$work/sem-destroy.log" 'request DELETE /acme-lf-ws-etl/catalogs/etl/[ ?]' 'request DELETE /acme-lf-ws-etl '
check "order: destroy leaves no bucket" test -z "$(buckets)"

# 14, removing a workspace: its workspace catalog belongs to the metastore
# and outlives it, with its markers, its data and the bucket they are in
cfg=$(newcfg semrm)
sed -i '/^    force_destroy: true$/d' "$cfg/30-workspace.yaml"
run semrm-apply "$cfg" apply --auto-approve
check "remove workspace: apply with etl's bucket without force_destroy" test $rc -eq 0
aws s3api put-object --bucket acme-lf-ws-etl --key catalogs/etl/schemas/default/t1/part-0 \
	--body "$work/object" >/dev/null
rm "$cfg/30-workspace.yaml"
dropdoc "$cfg/50-grants.yaml" etl-bot-workspace-files
run semrm-plan "$cfg" plan
check "remove workspace: the plan destroys the workspace" has semrm-plan '^ *- workspace/etl$'
for a in catalog/main-use1/etl schema/main-use1/etl/default storage.prefix/acme-lf-ws-etl/catalogs/etl \
	storage.prefix/acme-lf-ws-etl/catalogs/etl/schemas/default storage.bucket/acme-lf-ws-etl; do
	check "remove workspace: the plan keeps $a (=)" has semrm-plan "^ *= $a\$"
	check "remove workspace: the plan does not say destroy for $a" not has semrm-plan "^ *- $a\$"
done
check "remove workspace: the plan says how to remove the catalog" has semrm-plan \
	"a workspace catalog belongs to metastore 'main-use1' and outlives workspace/etl; to remove it: lakeform destroy --target catalog/main-use1/etl"
run semrm-apply2 "$cfg" apply --auto-approve
check "remove workspace: apply" test $rc -eq 0
[[ $rc -eq 0 ]] || out semrm-apply2 | tail -n 20
check "remove workspace: aws still has acme-lf-ws-etl" bucket_exists acme-lf-ws-etl
check "remove workspace: aws still has the catalog's marker" marker acme-lf-ws-etl catalogs/etl/
check "remove workspace: aws still has the default schema's marker" marker acme-lf-ws-etl catalogs/etl/schemas/default/
check "remove workspace: aws still has the data in the catalog" \
	marker acme-lf-ws-etl catalogs/etl/schemas/default/t1/part-0
check "remove workspace: the grants to its users left the policy" nostmt acme-lf-ws-etl analysts
run semrm-plan2 "$cfg" plan --detailed-exitcode
check "remove workspace: the next plan has no changes (exit 0)" test $rc -eq 0
[[ $rc -eq 0 ]] || out semrm-plan2 | head -n 30
aws s3api delete-object --bucket acme-lf-ws-etl --key catalogs/etl/schemas/default/t1/part-0 >/dev/null
run semrm-target "$cfg" destroy --target catalog/main-use1/etl --auto-approve
check "remove workspace: destroy --target the kept catalog" test $rc -eq 0
check "remove workspace: aws: its marker gone with it" not marker acme-lf-ws-etl catalogs/etl/
check "remove workspace: aws: the bucket stays (kept, not destroyed by the target)" bucket_exists acme-lf-ws-etl
run semrm-destroy "$cfg" destroy --auto-approve
check "remove workspace: destroy the rest, the kept bucket included" test $rc -eq 0 -a -z "$(buckets)"
[[ -z $(buckets) ]] || out semrm-destroy | tail -n 20

# 14, a classic workspace's bucket holds data: without force_destroy its
# removal is refused with the reason, and nothing is destroyed
cfg=$(newcfg semref)
sed -i -e '/^    force_destroy: true$/d' -e 's/^  metastore: main-use1$/  metastore: main-use1\n  workspace_catalog: false/' \
	"$cfg/30-workspace.yaml"
run semref-apply "$cfg" apply --auto-approve
check "refused removal: apply etl without a workspace catalog nor force_destroy" test $rc -eq 0
aws s3api put-object --bucket acme-lf-ws-etl --key scratch/tmp-0 --body "$work/object" >/dev/null
mv "$cfg/30-workspace.yaml" "$work/semref-workspace.yaml"
cp "$cfg/50-grants.yaml" "$work/semref-grants.yaml"
dropdoc "$cfg/50-grants.yaml" etl-bot-workspace-files
why="'storage.bucket/acme-lf-ws-etl' of workspace/etl holds data and would be destroyed with it, but spec.storage.force_destroy is not set"
run semref-plan "$cfg" plan
check "refused removal: plan fails" test $rc -ne 0
check "refused removal: plan says why" has semref-plan "$why"
check "refused removal: plan does not list a destroy of the bucket" not has semref-plan '- storage.bucket/acme-lf-ws-etl'
run semref-apply2 "$cfg" apply --auto-approve
check "refused removal: apply fails" test $rc -ne 0
check "refused removal: apply says why" has semref-apply2 "$why"
check "refused removal: aws still has the bucket and its data" marker acme-lf-ws-etl scratch/tmp-0
run semref-state "$cfg" state list
check "refused removal: nothing destroyed (workspace/etl still recorded)" has semref-state '^workspace/etl$'
check "refused removal: its network still recorded" has semref-state '^compute.network/etl$'
mv "$work/semref-workspace.yaml" "$cfg/30-workspace.yaml"
cp "$work/semref-grants.yaml" "$cfg/50-grants.yaml"
aws s3api delete-object --bucket acme-lf-ws-etl --key scratch/tmp-0 >/dev/null
run semref-destroy "$cfg" destroy --auto-approve
check "refused removal: destroy once the bucket is emptied" test $rc -eq 0 -a -z "$(buckets)"

# 15, --target destroys the target and what depends on it; --exclude keeps
# what the excluded resource needs
cfg=$(newcfg semx)
run semx-apply "$cfg" apply --auto-approve
check "target/exclude: apply" test $rc -eq 0
run semx-tplan "$cfg" plan --destroy --target catalog/main-use1/sales
for a in catalog/main-use1/sales schema/main-use1/sales/raw storage.prefix/acme-lf-uc-use1/catalogs/sales \
	grant/analysts-read-sales grant/etl-bot-writes-raw; do
	check "--target catalog sales: the plan destroys $a" has semx-tplan "^ *- $a\$"
done
check "--target catalog sales: the plan destroys no bucket" not has semx-tplan '^ *- storage.bucket/'
check "--target catalog sales: the plan destroys no workspace" not has semx-tplan '^ *- workspace/'
run semx-target "$cfg" destroy --target catalog/main-use1/sales --auto-approve
check "--target catalog sales: destroy" test $rc -eq 0
check "--target catalog sales: aws: its marker is gone" not marker acme-lf-uc-use1 catalogs/sales/
check "--target catalog sales: aws: its schema's marker is gone" not marker acme-lf-uc-use1 catalogs/sales/schemas/raw/
check "--target catalog sales: aws: the three buckets stay" test "$(buckets | wc -l)" -eq 3
check "--target catalog sales: aws: the workspace catalog's marker stays" marker acme-lf-ws-etl catalogs/etl/
# the catalog back, then --exclude on everything
run semx-apply2 "$cfg" apply --auto-approve
check "target/exclude: apply makes the catalog again" test $rc -eq 0 -a -n "$(marker acme-lf-uc-use1 catalogs/sales/ && echo y)"
run semx-xplan "$cfg" plan --destroy --exclude workspace/etl
check "--exclude workspace/etl: the plan keeps the account (=)" has semx-xplan '^ *= account/acme$'
check "--exclude workspace/etl: the plan keeps the default storage (=)" has semx-xplan '^ *= storage.bucket/acme-lf-default$'
check "--exclude workspace/etl: the plan destroys catalog sales" has semx-xplan '^ *- catalog/main-use1/sales$'
for k in account/ metastore/ workspace/ storage.bucket/ compute.network/ 'catalog/main-use1/etl$'; do
	check "--exclude workspace/etl: the plan destroys no ${k%$}" not has semx-xplan "^ *- $k"
done
run semx-exclude "$cfg" destroy --exclude workspace/etl --auto-approve
check "--exclude workspace/etl: destroy" test $rc -eq 0
check "--exclude workspace/etl: aws: etl's bucket, the default storage and the metastore root stay" \
	test "$(buckets | tr '\n' ' ')" == "acme-lf-default acme-lf-uc-use1 acme-lf-ws-etl "
check "--exclude workspace/etl: aws: catalog sales' marker is gone" not marker acme-lf-uc-use1 catalogs/sales/
check "--exclude workspace/etl: aws: the workspace catalog, part of it, stays" marker acme-lf-ws-etl catalogs/etl/
run semx-state "$cfg" state list
for a in account/acme metastore/main-use1 workspace/etl compute.network/etl storage.bucket/acme-lf-default; do
	check "--exclude workspace/etl: $a still recorded" has semx-state "^$a\$"
done
run semx-xplan2 "$cfg" plan --destroy --exclude workspace/etl --detailed-exitcode
check "--exclude workspace/etl: nothing left to destroy outside it" has semx-xplan2 'Nothing recorded to destroy'
run semx-destroy "$cfg" destroy --auto-approve
check "target/exclude: destroy the rest" test $rc -eq 0 -a -z "$(buckets)"

# ---- 650 grants on one bucket: a compact policy AWS would take -----------
cfg=$(newcfg grants)
ngrants=$("$root/tests/integration/s3/gen-grants.sh" "$cfg" 25 2 12 covered)
check "generated $ngrants grants on acme-lf-uc-use1" test "$ngrants" -ge 650
run grants "$cfg" --verbose apply --auto-approve
check "650 grants: apply exit 0" test $rc -eq 0
[[ $rc -eq 0 ]] || out grants | tail -n 20
bytes=$(policy acme-lf-uc-use1 | tr -d '\n' | wc -c)
check "650 grants: the policy aws reads is under 20,480 bytes ($bytes)" test "$bytes" -gt 0 -a "$bytes" -lt 20480
check "650 grants: one read statement per principal" \
	test "$(policy acme-lf-uc-use1 | jq '[.Statement[] | select(.Sid | startswith("LakeformRead")) | .Principal.AWS] | length == (unique | length)')" == true
check "650 grants: a principal's paths merged in one statement" \
	test "$(policy acme-lf-uc-use1 | jq '[.Statement[] | select(.Principal.AWS | endswith("generated-user-7")) | select(.Sid | startswith("LakeformRead")) | .Resource[]] | length')" -eq 2
run grants-plan "$cfg" plan
check "650 grants: the plan after apply has no changes" has grants-plan "No changes"

# ---- credentials as AWS's tools find them, said in the log ---------------
check "--verbose apply: the provider logs the environment's keys" \
	has grants "credentials from the environment (AWS_ACCESS_KEY_ID); region 'us-east-1' from AWS_DEFAULT_REGION"
check "--verbose apply: no secret printed" bash -c "! grep -qF -- '$secret' '$work/grants.out'"
noenv() { env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN "$@"; }
moto_profiles
noenv AWS_PROFILE=lfprof "$lf" -C "$cfg" --verbose apply --auto-approve >"$work/prof.out" 2>&1
check "AWS_PROFILE in the credentials file: apply exit 0" test $? -eq 0
check "AWS_PROFILE in the credentials file: the log says so" \
	has prof "credentials from profile 'lfprof' in the shared credentials file '$AWS_SHARED_CREDENTIALS_FILE'"
# the config file's profile, its region too (none in the settings)
sed -i '/^      region: us-east-1$/d' "$cfg/lakeform.yaml"
noenv -u AWS_DEFAULT_REGION AWS_PROFILE=lfconf "$lf" -C "$cfg" --verbose apply --auto-approve >"$work/conf.out" 2>&1
check "AWS_PROFILE in the config file only: apply exit 0" test $? -eq 0
check "AWS_PROFILE in the config file only: keys and region from it" \
	has conf "credentials from profile 'lfconf' in the config file '$AWS_CONFIG_FILE'; region 'us-east-1' from profile 'lfconf' in the config file"
noenv AWS_PROFILE=nope "$lf" -C "$cfg" apply --auto-approve >"$work/noprof.out" 2>&1
check "a missing profile: apply fails" test $? -ne 0
check "a missing profile: names the profile and both files" \
	has noprof "profile 'nope' (AWS_PROFILE) is not in the shared credentials file '$AWS_SHARED_CREDENTIALS_FILE' nor in the config file '$AWS_CONFIG_FILE'"
run grants-destroy "$cfg" destroy --auto-approve
check "650 grants: destroy exit 0" test $rc -eq 0

# web identity from the environment, on a server of its own: its first
# requests unchecked (the IAM user and role), lakeform's call to STS the
# last of them, then every request checked (moto-env.sh)
if moto_start_web 6; then
	cfg=$(newcfg web)
	noenv AWS_ROLE_ARN="$role_arn" AWS_WEB_IDENTITY_TOKEN_FILE="$token_file" AWS_ENDPOINT_URL="$wendpoint" \
		"$lf" -C "$cfg" --verbose apply --auto-approve >"$work/web.out" 2>&1
	rc=$?
	check "web identity: apply with STS's temporary keys exit 0" test $rc -eq 0
	[[ $rc -eq 0 ]] || out web | tail -n 10
	check "web identity: the log names the role and STS" \
		has web "credentials from web identity (AWS_WEB_IDENTITY_TOKEN_FILE): role '$role_arn' assumed through STS at '$wendpoint'"
	check "web identity: aws sees the buckets made with the temporary keys" \
		test "$(waws s3api list-buckets --query 'length(Buckets)' --output text 2>/dev/null)" -ge 3
	noenv AWS_ROLE_ARN="$role_arn" AWS_WEB_IDENTITY_TOKEN_FILE="$work/no-token" AWS_ENDPOINT_URL="$wendpoint" \
		"$lf" -C "$cfg" apply --auto-approve >"$work/notoken.out" 2>&1
	check "web identity: a missing token file is named" has notoken "cannot read the web identity token file '$work/no-token'"
else
	fail "web identity: a second moto_server with a role"
fi

finish
