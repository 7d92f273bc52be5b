#!/usr/bin/env bash
# run.sh LAKEFORM_BINARY - the scim provider (identity family) against a
# SCIM 2.0 server made of npm's SCIMMY, scimmy-routers and express
# (server.js here; installed with npm into build/scim-server on first use),
# in memory, on 127.0.0.1, requiring a bearer token; with /Bulk and
# without.  Every fact is checked with curl against the server:
# - apply of examples/scim (users, nested groups, a service principal),
#   and a plan without changes after it;
# - drift made behind lakeform's back (a user deactivated, a display name
#   changed, a group member added) shown by drift and plan, healed by apply;
#   an object carrying the marker and no state reported as unmanaged;
# - import of an object made by hand; destroy;
# - a wrong token and a stopped server: a clear error, the state as it was,
#   the token nowhere in state or logs;
# - bulk: on against a server without /Bulk refused at configure.
# A server that cannot be installed or started is a failure with its
# reason.  Prints one line per check; the last is `scim: N passed, N failed`.
set -uo pipefail

lf=${1:?usage: run.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
layer=scim
# shellcheck source=../checks.sh
. "$root/tests/integration/checks.sh"
prefix=${LF_SCIM_PREFIX:-$root/build/scim-server}
export PATH=$(dirname "$lf"):$PATH

# shellcheck source=server.sh
. "$here/server.sh"

work=$(mktemp -d /tmp/lakeform-scim.XXXXXX)
check_out=$work/check.out
stop_server() { scim_stop; }
cleanup() {
	scim_stop
	rm -rf "$work"
}
trap cleanup EXIT
for tool in node npm curl jq; do
	if ! command -v "$tool" >/dev/null; then
		fail "needs $tool (make deps)"
		finish
	fi
done

# ---- SCIMMY, scimmy-routers and express, with npm, into build/scim-server ----
if ! scim_install "$prefix" "$work/npm.log"; then
	fail "npm install --prefix $prefix $SCIM_PKGS: $(tail -n 1 "$work/npm.log")"
	finish
fi
if ! scim_free_port; then
	fail "no free port on 127.0.0.1"
	finish
fi
port=$SCIM_PORT
token=lf-test-token-$RANDOM$RANDOM
base=http://127.0.0.1:$port/scim/v2
# start_server on|off: the server, with or without /Bulk, empty
start_server() { scim_start "$prefix" "$port" "$token" "$1" "$work/server.log"; }

# scim METHOD PATH [BODY]: the answer's body on stdout
scim() {
	curl -sS -X "$1" "$base$2" -H "Authorization: Bearer $token" \
		-H 'Content-Type: application/scim+json' ${3:+-d "$3"}
}
# q ENDPOINT FILTER: the list answer of a filter query
q() {
	curl -sS -G "$base/$1" -H "Authorization: Bearer $token" --data-urlencode "filter=$2" \
		--data-urlencode count=1000
}
uid() { q Users "userName eq \"$1\"" | jq -r '.Resources[0].id // empty'; }
gid() { q Groups "displayName eq \"$1\"" | jq -r '.Resources[0].id // empty'; }
patch() { scim PATCH "$1" "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":[$2]}" >/dev/null; }
# marked ENDPOINT: how many objects carry the marker of account acme
marked() { q "$1" 'externalId sw "lakeform/acme/"' | jq '.totalResults'; }

cfg=$work/scim
cp -r "$root/examples/scim" "$cfg"
sed -i "s|http://127.0.0.1:8555/scim/v2|$base|" "$cfg/lakeform.yaml"
cd "$cfg" || exit 1
export SCIM_TOKEN=$token
run() { "$lf" "$@" >"$work/out" 2>&1; }
# has TEXT: the last command's output holds TEXT (else its summary lines)
has() {
	grep -qF -- "$1" "$work/out" && return 0
	grep -E '^(Plan|Apply|Destroy|No changes|lakeform: error)' "$work/out" | tail -n 3
	return 1
}

# the directory as examples/scim declares it, checked with curl
check_example() {
	local mode=$1 users=$2 data carol analysts
	check "$mode: $users users carry lakeform's marker (the people, the service principal)" \
		test "$(marked Users)" = "$users"
	check "$mode: 2 groups carry it" test "$(marked Groups)" = 2
	check "$mode: alice's displayName is 'Alice Martin'" \
		test "$(q Users 'userName eq "alice@acme.com"' | jq -r '.Resources[0].displayName')" = "Alice Martin"
	check "$mode: carol is deactivated (active false)" \
		test "$(q Users 'userName eq "carol@acme.com"' | jq -r '.Resources[0].active')" = false
	check "$mode: the service principal is a User with lakeform's extension" \
		test "$(q Users 'userName eq "etl-bot"' | jq -r '.Resources[0]["urn:ietf:params:scim:schemas:extension:lakeform:2.0:ServicePrincipal"].applicationId')" = 3f2c9a7e-1b4d-4e8a-9c61-0d5e7f8a2b13
	check "$mode: externalId is the marker lakeform/acme/<address>" \
		test "$(q Users 'userName eq "bob@acme.com"' | jq -r '.Resources[0].externalId')" = "lakeform/acme/identity.user/bob@acme.com"
	data=$(q Groups 'displayName eq "data"' | jq -c '[.Resources[0].members[].value] | sort')
	analysts=$(gid analysts)
	carol=$(uid carol@acme.com)
	check "$mode: group 'data' nests group 'analysts', carol and the robot" \
		test "$data" = "$(jq -nc --arg a "$analysts" --arg c "$carol" --arg r "$(uid etl-bot)" '[$a, $c, $r] | sort')"
	check "$mode: group 'analysts' holds alice and bob" \
		test "$(q Groups 'displayName eq "analysts"' | jq -c '[.Resources[0].members[].value] | sort')" = \
		"$(jq -nc --arg a "$(uid alice@acme.com)" --arg b "$(uid bob@acme.com)" '[$a, $b] | sort')"
}

requests() { curl -sS "http://127.0.0.1:$port/stats" | jq -r ".$1"; }

# ==== with /Bulk =============================================================
if ! start_server on; then
	fail "the SCIM server did not start on 127.0.0.1:$port: $(tail -n 2 "$work/server.log")"
	finish
fi
ok "SCIM server (SCIMMY) listens on 127.0.0.1:$port, /Bulk on"

run apply -auto-approve
check "bulk: apply of examples/scim succeeds" has "Apply complete! Resources: 14 added"
check_example bulk 4
check "bulk: the provider chose /Bulk (ServiceProviderConfig bulk.supported)" \
	grep -q "bulk on" .lakeform/logs/scim.log
check "bulk: creates went through /Bulk requests" test "$(requests bulk)" -ge 1
run plan --detailed-exitcode
check "bulk: a plan right after shows no change" has "No changes."

# ---- drift behind lakeform's back --------------------------------------------
patch "/Users/$(uid alice@acme.com)" '{"op":"replace","value":{"active":false}}'
patch "/Users/$(uid bob@acme.com)" '{"op":"replace","path":"displayName","value":"Robert"}'
patch "/Groups/$(gid analysts)" "{\"op\":\"add\",\"path\":\"members\",\"value\":[{\"value\":\"$(uid carol@acme.com)\"}]}"
scim POST /Users '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ghost@acme.com","externalId":"lakeform/acme/identity.user/ghost@acme.com"}' >/dev/null
"$lf" drift >"$work/out" 2>&1
rc=$?
check "drift: exits 2 when the directory changed" test $rc = 2
check "drift: the deactivated user" grep -qE 'identity.user/alice@acme.com +changed|active: true -> false' "$work/out"
check "drift: the changed display name" has 'display_name: "Bob Okafor" -> "Robert"'
check "drift: the member added to the group" has '(absent) -> "user:carol@acme.com"'
check "drift: an object with the marker and no state is unmanaged" \
	grep -q "identity.user/ghost@acme.com.*unmanaged" "$work/out"
run plan
check "plan: shows the three changes to heal" has "Plan: 0 to add, 3 to change, 0 to replace, 0 to destroy."
run apply -auto-approve
check "apply: heals them" has "Resources: 0 added, 3 changed, 0 destroyed."
check "healed: alice is active again" \
	test "$(q Users 'userName eq "alice@acme.com"' | jq -r '.Resources[0].active')" = true
check "healed: bob's display name is back" \
	test "$(q Users 'userName eq "bob@acme.com"' | jq -r '.Resources[0].displayName')" = "Bob Okafor"
check "healed: carol is no member of 'analysts' again, alice and bob still are" \
	test "$(q Groups 'displayName eq "analysts"' | jq '.Resources[0].members | length')" = 2
check "healed: the group kept its id (patched, not rewritten)" test -n "$(gid analysts)"
run plan --detailed-exitcode
check "a plan after healing shows no change" has "No changes."
check "the updates carried If-Match (the server offers ETags)" test "$(requests ifMatch)" -ge 3
# a user's display name edited: with a provider serving identities it
# reaches the user's identity object, so the plan of the changed documents
# alone (src/core/incr.c) must leave it to the full path, which shows both
rm -rf "$work/dn"
cp -a "$cfg" "$work/dn"
sed -i 's/display_name: Bob Okafor/display_name: Robert Okafor/' "$work/dn/10-identities.yaml"
(cd "$work/dn" && LAKEFORM_LOG=debug "$lf" plan 2>"$work/dn.log" >"$work/dn.out"
	"$lf" plan --incremental=false >"$work/dn.full" 2>/dev/null)
check "a user's display name: the documents cache was read and the full path taken" \
	grep -q 'plan: all documents (a changed document differs in more than' "$work/dn.log"
check "a user's display name: the plan changes the identity object too" \
	grep -q '~ identity.user/bob@acme.com' "$work/dn.out"
check "a user's display name: the same plan as with --incremental=false" cmp -s "$work/dn.out" "$work/dn.full"
scim DELETE "/Users/$(uid ghost@acme.com)" >/dev/null
"$lf" graph --expanded >"$work/out" 2>&1
check "graph --expanded shows the identity resources" has "identity.group/data"

# ---- a create that finds its object: adopted by the marker, or refused --------
bob=$(uid bob@acme.com)
run state rm identity.user/bob@acme.com
run apply -auto-approve
check "a user forgotten by the state is adopted by its marker, not made twice" \
	test "$(grep -c . <<<"$(q Users 'userName eq "bob@acme.com"' | jq -r '.Resources[].id')")" = 1
check "adopted: the same object, recorded again" \
	test "$(jq -r --arg a identity.user/bob@acme.com '.resources[] | select(.address == $a) | .attrs.id' .lakeform/state.json 2>/dev/null || true)" = "$bob"
scim POST /Users '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"frank@acme.com"}' >/dev/null
cp 10-identities.yaml 10-identities.yaml.keep
cat >>10-identities.yaml <<'YAML'
---
apiVersion: lakeform/v1
kind: User
metadata:
  name: frank@acme.com
YAML
run apply -auto-approve
check "a user of the same name without the marker is a conflict, left alone" \
	has "that lakeform does not own"
check "conflict: frank was not taken over" \
	test "$(q Users 'userName eq "frank@acme.com"' | jq -r '.Resources[0].externalId // "none"')" = none
cp 10-identities.yaml.keep 10-identities.yaml
run apply -auto-approve
check "without frank the configuration applies again" has "Apply complete!"

# ---- import of an object made by hand ------------------------------------------
dave=$(scim POST /Users '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"dave@acme.com","displayName":"Dave"}' | jq -r .id)
cat >>10-identities.yaml <<'YAML'
---
apiVersion: lakeform/v1
kind: User
metadata:
  name: dave@acme.com
spec:
  display_name: Dave Jones
YAML
run import identity.user/dave@acme.com "$dave"
check "import: records the user made by hand" test $? = 0
run plan
check "import: the plan updates it in place (its name and marker), creates nothing new in the directory" \
	grep -q "identity.user/dave@acme.com" "$work/out"
run apply -auto-approve
check "import: apply succeeds" has "Apply complete!"
check "import: the imported user got lakeform's marker and its display name, same id" \
	test "$(scim GET "/Users/$dave" | jq -r '.externalId + " " + .displayName')" = "lakeform/acme/identity.user/dave@acme.com Dave Jones"
check "import: one dave in the directory" test "$(q Users 'userName eq "dave@acme.com"' | jq .totalResults)" = 1

# ---- a wrong token, a stopped server -------------------------------------------
cat >>10-identities.yaml <<'YAML'
---
apiVersion: lakeform/v1
kind: User
metadata:
  name: erin@acme.com
YAML
sum=$(sha256sum .lakeform/state.json | cut -d' ' -f1)
SCIM_TOKEN=wrong-token "$lf" apply -auto-approve >"$work/out" 2>&1
rc=$?
check "wrong token: apply fails" test $rc = 1
check "wrong token: the error names the token's variable and the server's refusal" \
	grep -q 'refused the bearer token in \$SCIM_TOKEN' "$work/out"
check "wrong token: the state is as it was" test "$(sha256sum .lakeform/state.json | cut -d' ' -f1)" = "$sum"
check "wrong token: erin was not created" test -z "$(uid erin@acme.com)"
env -u SCIM_TOKEN "$lf" plan >"$work/out" 2>&1
check "no token: the error names the variable to set" has "environment variable 'SCIM_TOKEN' (token_env) is not set"
check "the token is in no state, plan or log file" \
	bash -c "! grep -rqF -- '$token' .lakeform"
# a server that takes the connection and never answers (stopped with
# SIGSTOP): each request gives up after the setting's timeout
cp lakeform.yaml lakeform.yaml.keep
sed -i 's/^      bulk: auto.*/&\n      timeout: 2s/' lakeform.yaml
kill -STOP "$SCIM_PID"
t0=$(date +%s)
"$lf" apply -auto-approve >"$work/out" 2>&1
rc=$?
t1=$(date +%s)
kill -CONT "$SCIM_PID"
cp lakeform.yaml.keep lakeform.yaml
check "server not answering: apply fails" test $rc = 1
check "server not answering: the error says the request timed out after 2000 ms (timeout: 2s)" \
	grep -q "cannot reach the SCIM server at $base: .*[Tt]imed out after 2[0-9][0-9][0-9] milliseconds" "$work/out"
check "server not answering: given up within 60 s ($((t1 - t0)) s)" test $((t1 - t0)) -lt 60
check "server not answering: the state is as it was" test "$(sha256sum .lakeform/state.json | cut -d' ' -f1)" = "$sum"
stop_server
"$lf" apply -auto-approve >"$work/out" 2>&1
rc=$?
check "stopped server: apply fails" test $rc = 1
check "stopped server: the error says the server cannot be reached, and where" \
	grep -q "cannot reach the SCIM server at $base" "$work/out"
check "stopped server: the state is as it was" test "$(sha256sum .lakeform/state.json | cut -d' ' -f1)" = "$sum"

# ---- without /Bulk: the same server restarted, empty --------------------------
if ! start_server off; then
	fail "the SCIM server did not restart on 127.0.0.1:$port"
	finish
fi
ok "SCIM server restarted without /Bulk (an empty directory)"
run plan
check "plain: the plan re-creates what the empty directory lacks, and erin" \
	has "Plan: 9 to add, 0 to change"
before=$(requests requests)
run apply -auto-approve
check "plain: apply succeeds" has "Apply complete!"
check_example plain 6
check "plain: the provider chose plain calls" grep -q "bulk off" .lakeform/logs/scim.log
check "plain: no /Bulk request was sent" test "$(requests bulk)" = 0
check "plain: erin is there" test -n "$(uid erin@acme.com)"
run plan --detailed-exitcode
check "plain: a plan right after shows no change" has "No changes."
cp lakeform.yaml lakeform.yaml.keep
sed -i 's/^      bulk: auto.*/&\n      page_size: 2/' lakeform.yaml
scim POST /Users '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"zed@acme.com","externalId":"lakeform/acme/identity.user/zed@acme.com"}' >/dev/null
"$lf" drift >"$work/out" 2>&1
check "pages of 2: drift still finds the unmanaged user on a later page" \
	grep -q "identity.user/zed@acme.com.*unmanaged" "$work/out"
check "pages of 2: the list was read page by page (startIndex > 1)" test "$(requests pages)" -ge 2
scim DELETE "/Users/$(uid zed@acme.com)" >/dev/null
sed -i 's/bulk: auto/bulk: off/; s/service_principals: auto/service_principals: resource/' lakeform.yaml
run plan
check "service_principals: resource against a server without that type is refused" \
	has "has no ServicePrincipal resource type"
cp lakeform.yaml.keep lakeform.yaml
sed -i 's/bulk: auto/bulk: on/' lakeform.yaml
run plan
check "bulk: on against a server without /Bulk is refused, saying why" \
	has "does not support /Bulk"
cp lakeform.yaml.keep lakeform.yaml

run destroy -auto-approve
check "destroy succeeds" has "Destroy complete!"
check "destroy: no user with lakeform's marker is left" test "$(marked Users)" = 0
check "destroy: no group with it is left" test "$(marked Groups)" = 0
finish
