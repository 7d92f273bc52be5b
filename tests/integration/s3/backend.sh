#!/usr/bin/env bash
# backend.sh LAKEFORM_BINARY - the s3 state backend against moto_server.
#
# The resources are made by the embedded local providers (or the sleepy
# test provider); only the state lives in S3, at s3://lf-state/KEY, and
# every claim is checked with /usr/bin/aws: the snapshot object and its
# records, no journal or lock object left behind, a lock held by another
# writer (exit 3, its holder named), a lease that ends after a kill -9 and
# is taken over (the killed run's working copy then removed, its journal
# taken instead of creating again), a lease kept alive by a long apply,
# force-unlock, four applies racing on one state with none of their
# changes lost, eight at once from eight directories (each its own working
# copy) with none of their records lost, wrong credentials, an unreachable
# endpoint and a missing state bucket.
# Prints one line per check; the last is `s3-backend: N passed, N failed`.
set -uo pipefail

lf=${1:?usage: backend.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
layer=s3-backend
# shellcheck source=../checks.sh
. "$root/tests/integration/checks.sh"
bindir=$(dirname "$lf")

work=$(mktemp -d /tmp/lakeform-s3b.XXXXXX)
moto_pid=
pids=()
cleanup() {
	for pid in "${pids[@]}" $moto_pid ${wmoto_pid:-}; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=moto-env.sh
. "$here/moto-env.sh"
if ! moto_find; then
	fail "needs moto_server: $moto_why"
	finish
fi
if ! moto_start; then
	fail "moto_server with an IAM access key"
	finish
fi
ok "moto_server with an IAM access key"
export PATH="$bindir:$PATH"

# config NAME KEY [STORAGE_PROVIDER]: a copy of examples/quickstart whose
# state is s3://lf-state/KEY (endpoint and credentials from AWS_*)
config() {
	local d=$work/$1
	rm -rf "$d"
	cp -r "$root/examples/quickstart" "$d"
	{
		echo "backend: {type: s3, bucket: lf-state, key: $2, region: us-east-1, lease: 10s}"
		if [[ -n ${3:-} ]]; then echo "providers: {storage: {name: $3}}"; fi
	} >"$d/lakeform.yaml"
	echo "$d"
}
rc=0
run() { # run NAME DIR ARGS...: output in $work/NAME.out, status in $rc
	local name=$1 dir=$2
	shift 2
	last=$name
	"$lf" -C "$dir" "$@" >"$work/$name.out" 2>&1
	rc=$?
}
has() { grep -q -- "$2" "$work/$1.out"; }
exists() { aws s3api head-object --bucket lf-state --key "$1" >/dev/null 2>&1; }
absent() { ! exists "$1"; }
snapshot() { aws s3 cp "s3://lf-state/$1" - 2>/dev/null; }
records() { snapshot "$1" | jq '.resources | length'; }

# ---- before the bucket exists -------------------------------------------
q=$(config q acme/prod.json)
run nobucket "$q" apply --auto-approve
check "no state bucket: exit 1" test "$rc" -eq 1
check "no state bucket: it says so" has nobucket "the state bucket 'lf-state' does not exist"
check "no state bucket: nothing was created" test ! -e "$q/.lakeform/local"
aws s3api create-bucket --bucket lf-state >/dev/null

# ---- apply, plan, a second directory ------------------------------------
run apply "$q" apply --auto-approve
check "apply on the s3 backend: exit 0" test "$rc" -eq 0
check "the snapshot object exists" exists acme/prod.json
check "the snapshot records 32 resources" test "$(records acme/prod.json)" = 32
check "no journal object is left" absent acme/prod.json.journal
check "no lock object is left" absent acme/prod.json.lock
check "no working copy is left under .lakeform/s3" test -z "$(ls -A "$q/.lakeform/s3")"
run plan "$q" plan --detailed-exitcode
check "plan after apply: no changes" test "$rc" -eq 0
b=$work/b
mkdir -p "$b"
cp "$q"/*.yaml "$b/"
run plan2 "$b" plan --refresh=false --detailed-exitcode
check "another directory plans from the state in s3: no changes" test "$rc" -eq 0
run list2 "$b" state list
check "another directory lists the 32 records" test "$(wc -l <"$work/list2.out")" -eq 32
serial=$(snapshot acme/prod.json | jq .serial)
run pull "$b" state pull
check "state pull gives the s3 snapshot's serial" test "$(jq .serial "$work/pull.out")" = "$serial"

# ---- a lock held by another writer --------------------------------------
held='{"id":"11111111-2222-3333-4444-555555555555","operation":"apply","who":"ci@runner-7","version":"0.1.0","created":"2026-01-01T00:00:00Z","pid":4242,"path":"s3://lf-state/acme/prod.json","expires":"2999-01-01T00:00:00Z"}'
printf '%s' "$held" | aws s3 cp - s3://lf-state/acme/prod.json.lock >/dev/null
sed -i 's/display_name: Alice Martin/display_name: Alice M./' "$q/10-identities.yaml"
run locked "$q" apply --auto-approve
check "a held lock: exit 3" test "$rc" -eq 3
check "a held lock: the holder is named" has locked "Who:       ci@runner-7"
check "a held lock: its lease is shown" has locked "Expires:   2999-01-01T00:00:00Z"
check "a held lock: the snapshot did not move" test "$(snapshot acme/prod.json | jq .serial)" = "$serial"
start=$(date +%s)
run locked2 "$q" apply --auto-approve --lock-timeout 2s
check "--lock-timeout 2s waits, then exit 3" test "$rc" -eq 3 -a "$(($(date +%s) - start))" -ge 2
run unlock "$q" force-unlock -force 11111111-2222-3333-4444-555555555555
check "force-unlock removes the lock object" absent acme/prod.json.lock
run after "$q" apply --auto-approve
check "then apply goes through" test "$rc" -eq 0
check "and the change is in the s3 snapshot" grep -qF 'Alice M."' <<<"$(snapshot acme/prod.json)"

# ---- an expired lease is taken over --------------------------------------
printf '%s' "${held/2999-01-01/2001-01-01}" | aws s3 cp - s3://lf-state/acme/prod.json.lock >/dev/null
run takeover "$q" plan --detailed-exitcode
check "plan does not need the lock" test "$rc" -eq 0
run takeover2 "$q" apply --auto-approve
check "a lock whose lease ended is taken over" test "$rc" -eq 0
check "and released after" absent acme/prod.json.lock

# ---- kill -9 leaves the lock until its lease ends -------------------------
c=$(config crash acme/crash.json sleepy)
# started half way through a second, so that an expiry rounded down to the
# second would show: the lease written must end 10 s after the start or later
while (( 10#$(date +%N) < 400000000 || 10#$(date +%N) > 600000000 )); do sleep 0.05; done
t0=$(date +%s%3N)
SLEEPY_MS=300 "$lf" -C "$c" apply --auto-approve --parallelism 1 >"$work/crash1.out" 2>&1 &
pid=$!
pids+=("$pid")
for _ in $(seq 100); do grep -q 'storage.*: created$' "$work/crash1.out" && break; sleep 0.1; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
check "a killed apply leaves its lock object" exists acme/crash.json.lock
expires=$(aws s3 cp s3://lf-state/acme/crash.json.lock - 2>/dev/null | jq -r .expires)
check "its 10 s lease lasts at least 10 s ($expires, started at $t0 ms)" \
	test "$(($(date -d "$expires" +%s) * 1000 - t0))" -ge 10000
dead=$(ls -d "$c"/.lakeform/s3/run.* 2>/dev/null)
check "a killed apply leaves its working copy, named after its host and pid" \
	test "$(wc -w <<<"$dead")" -eq 1 -a -n "$(grep -F ".$pid." <<<"$dead")"
# the journal object one upload behind the killed run's local journal: only
# its first record (an intent) reached s3, its creates are on local disk only
head -n 1 "$dead/journal.jsonl" | aws s3 cp - s3://lf-state/acme/crash.json.journal >/dev/null
made=$(sed -nE 's/^(storage[^:]*): created$/\1/p' "$work/crash1.out")
SLEEPY_MS=0 run crash2 "$c" apply --auto-approve
check "the next apply at once: exit 3 (the lease runs)" test "$rc" -eq 3
check "a run without the lock leaves the dead run's working copy" test -d "$dead"
sleep 11
SLEEPY_MS=0 run crash3 "$c" apply --auto-approve
check "after the lease: apply takes the lock over and finishes" test "$rc" -eq 0
check "the dead run's working copy is removed by the run that holds the lock" test ! -e "$dead"
check "no working copy is left under .lakeform/s3 after it" test -z "$(ls -A "$c/.lakeform/s3")"
again=0
for a in $made; do grep -qxF "$a: created" "$work/crash3.out" && again=1; done
check "what the killed run created ($(wc -w <<<"$made")) is not created again: its local journal settles it" \
	test -n "$made" -a "$again" -eq 0
SLEEPY_MS=0 run crash4 "$c" plan --detailed-exitcode
check "then plan shows no changes" test "$rc" -eq 0

# ---- a long apply keeps its lease alive ------------------------------------
l=$(config long acme/long.json sleepy)
SLEEPY_MS=2000 "$lf" -C "$l" apply --auto-approve --parallelism 1 >"$work/long1.out" 2>&1 &
pid=$!
pids+=("$pid")
sleep 12.5 # past one lease (the apply takes about 18 s: 9 storage creates of 2 s)
SLEEPY_MS=0 run long2 "$l" apply --auto-approve
check "12 s into a 10 s lease, a renewed lock still holds: exit 3" test "$rc" -eq 3
wait "$pid"
check "the long apply finishes" test $? -eq 0
check "with every record in s3" test "$(records acme/long.json)" = 32

# ---- a lock taken over while apply runs: said at once, nothing new starts ----
t=$(config lost acme/lost.json sleepy)
SLEEPY_MS=1000 "$lf" -C "$t" apply --auto-approve --parallelism 1 >"$work/lost1.out" 2>&1 &
pid=$!
pids+=("$pid")
for _ in $(seq 100); do exists acme/lost.json.lock && break; sleep 0.1; done
sleep 1
printf '%s' "$held" | aws s3 cp - s3://lf-state/acme/lost.json.lock >/dev/null
wait "$pid"
rc=$?
last=lost1
check "a lock taken over during apply: exit 1" test "$rc" -eq 1
check "it is said as it happens" has lost1 "warning: the lock s3://lf-state/acme/lost.json.lock was taken over by another run: no new change starts"
check "the changes after it were not started" has lost1 "the lock's lease can no longer be proved"
check "no success line" bash -c "! grep -q 'complete!' '$work/lost1.out'"
check "the other run's lock is left alone" grep -q runner-7 <<<"$(aws s3 cp s3://lf-state/acme/lost.json.lock - 2>/dev/null)"
check "no snapshot was written over it" absent acme/lost.json
aws s3 rm s3://lf-state/acme/lost.json.lock >/dev/null 2>&1

# ---- four applies racing on one state --------------------------------------
r=$(config race acme/race.json sleepy)
targets=(user/alice@acme.com user/bob@acme.com user/carol@acme.com serviceprincipal/etl-bot)
rpids=()
for t in "${targets[@]}"; do
	SLEEPY_MS=20 "$lf" -C "$r" apply --auto-approve --lock-timeout 2m --target "$t" \
		>"$work/race-${t//[\/@]/_}.out" 2>&1 &
	rpids+=($!)
done
pids+=("${rpids[@]}")
all=0
for pid in "${rpids[@]}"; do wait "$pid" || all=1; done
for f in "$work"/race-*.out; do grep -q 'complete!' "$f" || tail -n 5 "$f"; done
check "four racing applies all finish (they wait for the lock)" test "$all" -eq 0
listing=$(snapshot acme/race.json | jq -r '.resources[].address')
for t in "${targets[@]}"; do
	check "after the race the state holds $t" grep -qx "$t" <<<"$listing"
done
last=race-user_alice_acme.com
check "after the race each apply wrote its own serial" test "$(snapshot acme/race.json | jq .serial)" -ge 4

# ---- eight applies at once, each from a directory of its own ----------------
# As eight machines would: each its own working copy of one state in s3,
# each adding resources of its own (a user, and a volume with the storage
# prefix it expands to) with --target, all started together and waiting
# for the lock (--lock-timeout).  None of their records may be lost: every
# one is in the s3 snapshot afterwards, read with aws and jq.
e=$(config race8 acme/race8.json)
# the compute provider's objects in one place for all eight, as a real
# provider's are (the storage provider, sleepy, keeps nothing)
cat >"$e/lakeform.yaml" <<EOF
backend: {type: s3, bucket: lf-state, key: acme/race8.json, region: us-east-1, lease: 10s}
providers: {storage: {name: sleepy}, compute: {settings: {root: $work/race8-compute}}}
EOF
run race8-base "$e" apply --auto-approve
check "eight-way race: the base apply" test "$rc" -eq 0
base_serial=$(snapshot acme/race8.json | jq .serial)
for i in 1 2 3 4 5 6 7 8; do
	d=$work/race8-$i
	rm -rf "$d"
	mkdir -p "$d"
	cp "$e"/*.yaml "$d/"
	for j in 1 2 3 4 5 6 7 8; do
		printf -- '---\napiVersion: lakeform/v1\nkind: User\nmetadata:\n  name: member%d@acme.com\nspec:\n  display_name: Member %d\n' "$j" "$j"
		printf -- '---\napiVersion: lakeform/v1\nkind: Volume\nmetadata:\n  name: landing_%d\nspec:\n  metastore: main-use1\n  catalog: sales\n  schema: raw\n' "$j"
	done >"$d/60-members.yaml"
done
rpids=()
start=$(date +%s)
for i in 1 2 3 4 5 6 7 8; do
	SLEEPY_MS=100 "$lf" -C "$work/race8-$i" apply --auto-approve --lock-timeout 3m \
		--target "user/member$i@acme.com" --target "volume/main-use1/sales/raw/landing_$i" \
		>"$work/race8-$i.out" 2>&1 &
	rpids+=($!)
done
pids+=("${rpids[@]}")
all=0
for pid in "${rpids[@]}"; do wait "$pid" || all=1; done
took=$(($(date +%s) - start))
for i in 1 2 3 4 5 6 7 8; do grep -q 'complete!' "$work/race8-$i.out" || tail -n 5 "$work/race8-$i.out"; done
last=race8-1
check "eight applies at once from eight directories all finish, waiting for the lock ($took s)" test "$all" -eq 0
snap=$(snapshot acme/race8.json)
lost=0
for i in 1 2 3 4 5 6 7 8; do
	v=volume/main-use1/sales/raw/landing_$i
	n=$(jq --arg u "user/member$i@acme.com" --arg v "$v" \
		'[.resources[] | select(.address == $u or .address == $v or (.type == "storage.prefix" and .parent == $v))] | length' <<<"$snap")
	[[ $n == 3 ]] || {
		lost=$((lost + 1))
		echo "     apply $i: $n of its 3 records in the snapshot"
	}
done
check "after the eight-way race the s3 snapshot holds every apply's user, volume and prefix: 0 lost updates" test "$lost" -eq 0
check "and the base's 32 records and the eight applies' 24: 56 records" test "$(jq '.resources | length' <<<"$snap")" -eq 56
check "each of the eight applies wrote a serial of its own" test "$(jq .serial <<<"$snap")" -ge $((base_serial + 8))
check "no lock object is left after the race" absent acme/race8.json.lock
check "no journal object is left after the race" absent acme/race8.json.journal
SLEEPY_MS=0 run race8-plan "$work/race8-5" plan --detailed-exitcode
check "a plan from any of the eight directories then has no changes" test "$rc" -eq 0
echo "# eight-way race: $took s, serial $base_serial -> $(jq .serial <<<"$snap"), $(jq '.resources | length' <<<"$snap") records"

# ---- credentials and endpoint ---------------------------------------------
AWS_SECRET_ACCESS_KEY=wrong run creds "$q" plan
check "wrong credentials: exit 1" test "$rc" -eq 1
check "wrong credentials: said so" has creds "refused the credentials"
start=$(date +%s%N)
AWS_ENDPOINT_URL=http://127.0.0.1:9 run unreach "$q" plan
ms=$((($(date +%s%N) - start) / 1000000))
check "unreachable endpoint: exit 1" test "$rc" -eq 1
check "unreachable endpoint: said so" has unreach "cannot reach the s3 state backend at http://127.0.0.1:9"
check "unreachable endpoint: within 10 s ($ms ms)" test "$ms" -lt 10000
env -u AWS_ACCESS_KEY_ID "$lf" -C "$q" plan >"$work/nocreds.out" 2>&1
check "no credentials: said which variables" has nocreds "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"

# ---- credentials as AWS's tools find them (src/util/awscreds.c) ------------
noenv() { env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN "$@"; }
run verbose-env "$q" --verbose plan
check "--verbose: the backend names the environment's keys" \
	has verbose-env "^lakeform: s3 state backend: credentials from the environment (AWS_ACCESS_KEY_ID); region 'us-east-1' from AWS_DEFAULT_REGION"
check "--verbose: no secret printed" bash -c "! grep -qF -- '$secret' '$work/verbose-env.out'"
moto_profiles
noenv AWS_PROFILE=lfprof "$lf" -C "$q" --verbose plan >"$work/prof.out" 2>&1
check "AWS_PROFILE in the credentials file: plan exit 0" test $? -eq 0
check "AWS_PROFILE in the credentials file: --verbose says so" \
	has prof "^lakeform: s3 state backend: credentials from profile 'lfprof' in the shared credentials file '$AWS_SHARED_CREDENTIALS_FILE'"
noenv -u AWS_DEFAULT_REGION AWS_PROFILE=lfconf "$lf" -C "$q" --verbose plan >"$work/conf.out" 2>&1
check "AWS_PROFILE in the config file only: plan exit 0" test $? -eq 0
check "AWS_PROFILE in the config file only: --verbose says so" \
	has conf "^lakeform: s3 state backend: credentials from profile 'lfconf' in the config file '$AWS_CONFIG_FILE'"
noenv AWS_PROFILE=nope "$lf" -C "$q" plan >"$work/noprof.out" 2>&1
check "a missing profile: exit 1" test $? -eq 1
check "a missing profile: names the profile and both files" \
	has noprof "profile 'nope' (AWS_PROFILE) is not in the shared credentials file '$AWS_SHARED_CREDENTIALS_FILE' nor in the config file '$AWS_CONFIG_FILE'"
# web identity from a profile, on a server of its own: its first requests
# unchecked (the IAM user and role, the state bucket), lakeform's call to
# STS the last of them, then every request checked (moto-env.sh)
if moto_start_web 7 && waws s3api create-bucket --bucket lf-state >/dev/null; then
	printf '[profile lfweb]\nrole_arn = %s\nweb_identity_token_file = %s\n' "$role_arn" "$token_file" >>"$AWS_CONFIG_FILE"
	noenv AWS_PROFILE=lfweb AWS_ENDPOINT_URL="$wendpoint" "$lf" -C "$q" --verbose apply --auto-approve >"$work/web.out" 2>&1
	rc=$?
	check "web identity from a profile: apply with STS's temporary keys exit 0" test $rc -eq 0
	[[ $rc -eq 0 ]] || sed 's/^/# /' "$work/web.out" | tail -n 5
	check "web identity from a profile: --verbose names the profile, the role and STS" \
		has web "^lakeform: s3 state backend: credentials from web identity (profile 'lfweb' in the config file '$AWS_CONFIG_FILE'): role '$role_arn' assumed through STS at '$wendpoint'"
	wexists() { waws s3api head-object --bucket lf-state --key "$1" >/dev/null 2>&1; }
	check "web identity: the state was written with the temporary keys (aws sees it)" \
		wexists acme/prod.json
	noenv AWS_ROLE_ARN="$role_arn" AWS_WEB_IDENTITY_TOKEN_FILE="$work/no-token" \
		"$lf" -C "$q" plan >"$work/notoken.out" 2>&1
	check "web identity: a missing token file is named" has notoken "cannot read the web identity token file '$work/no-token'"
else
	fail "web identity: a second moto_server with a role"
fi
finish
