#!/usr/bin/env bash
# run.sh LAKEFORM_BINARY - lakeform serve on the quickstart, applied with the
# local providers (beside LAKEFORM_BINARY):
#
# - the JSON API with curl: the account map, the namespace with grants and
#   effective access, a principal, the resources (paged, sensitive values
#   masked), the history, the graph (the same DOT as `lakeform graph`),
#   404 and 405, strings from the state escaped in the HTML;
# - headless Chromium driven by puppeteer-core (npm, installed on first use
#   into build/puppeteer, or LF_PUPPETEER_PREFIX): the pages load and show
#   the quickstart's workspace, catalogs and grants, and navigation works by
#   clicking links (browse.js); with LF_SERVE_SHOTS=DIR it also photographs
#   each page there (scripts/screenshot-serve.sh);
# - a token: required off the loopback address, a wrong one refused,
#   bearer and basic accepted;
# - --drift-every 1s: an object edited behind lakeform's back shows on the
#   drift page after the next check, and is posted to --webhook; --heal
#   applies and the heal is recorded; SIGTERM and SIGINT stop it.
# Prints one line per check; the last is `serve: N passed, N failed`.
set -uo pipefail

lf=${1:?usage: run.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
layer=serve
# shellcheck source=../checks.sh
. "$root/tests/integration/checks.sh"
prefix=${LF_PUPPETEER_PREFIX:-$root/build/puppeteer}
export LAKEFORM_SCHEMA_DIR=${LAKEFORM_SCHEMA_DIR:-$root/schemas}
export LAKEFORM_IN_AUTOMATION=1 LAKEFORM_WEBHOOK_BACKOFF_MS=10
unset LAKEFORM_SERVE_TOKEN

work=$(mktemp -d /tmp/lakeform-serve.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
for tool in curl jq node npm chromium python3; do
	if ! command -v "$tool" >/dev/null; then
		fail "needs $tool (make deps)"
		finish
	fi
done

# ---- the quickstart, applied, with a secret and a comment to escape -----------
q=$work/q
cp -r "$root/examples/quickstart" "$q"
cat >>"$q/10-identities.yaml" <<'EOF'
---
apiVersion: lakeform/v1
kind: ServicePrincipal
metadata:
  name: report-bot
spec:
  display_name: Reports
  client_secret: s3cr3t-never-shown-9f2a
EOF
cat >>"$q/40-catalog.yaml" <<'EOF'
---
apiVersion: lakeform/v1
kind: Schema
metadata:
  name: scratch
spec:
  metastore: main-use1
  catalog: sales
  comment: <b>bold</b> & "quoted" <script>alert(1)</script>
  owner: group:analysts
EOF
if ! (cd "$q" && "$lf" apply -auto-approve >"$work/apply.out" 2>&1); then
	fail "the quickstart applies" "$(tail -n 5 "$work/apply.out")"
	finish
fi
ok "the quickstart applies"

# ---- a webhook receiver: each POST's body into $work/hook.N --------------------
cat >"$work/hook.py" <<'EOF'
import http.server, sys, os
n = 0
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global n
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n += 1
        with open(os.path.join(sys.argv[1], "hook.%d" % n), "wb") as f:
            f.write(body)
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(os.path.join(sys.argv[1], "hook.port"), "w") as f:
    f.write(str(s.server_port))
s.serve_forever()
EOF
python3 "$work/hook.py" "$work" &
pids+=($!)
for _ in $(seq 50); do [[ -s $work/hook.port ]] && break; sleep 0.1; done
hook=http://127.0.0.1:$(cat "$work/hook.port")/drift

# start_serve NAME ARGS...: lakeform serve in $q, its output in $work/NAME.*;
# sets $pid and $base once it says where it listens
start_serve() {
	local name=$1
	shift
	(cd "$q" && exec "$lf" serve "$@" >"$work/$name.out" 2>"$work/$name.err") &
	pid=$!
	pids+=("$pid")
	base=
	for _ in $(seq 100); do
		base=$(sed -n 's|^lakeform: serving \(http://[^ ]*\)/ .*|\1|p' "$work/$name.out")
		[[ -n $base ]] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# stop PID SIGNAL: it exits 0 within 10 s
stop() {
	kill -"$2" "$1" 2>/dev/null
	local rc
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	wait "$1"
	rc=$?
	[[ $rc -eq 0 ]]
}
api() { curl -sS --max-time 10 "$base/api/$1"; }
# wait_for WHAT SECONDS JQ-FILTER: poll /api/WHAT until the filter is true
wait_for() {
	local i
	for i in $(seq $(($2 * 10))); do
		[[ $(api "$1" | jq -r "$3" 2>/dev/null) == true ]] && return 0
		sleep 0.1
	done
	return 1
}

if ! start_serve main --listen 127.0.0.1:0 --drift-every 1s --webhook "$hook"; then
	fail "serve starts on 127.0.0.1, port 0" "$(tail -n 5 "$work/main.err")"
	finish
fi
ok "serve starts on 127.0.0.1 without a token ($base)"
main_pid=$pid

# ---- the JSON API ---------------------------------------------------------------
check_out=$work/check.out
s=$(api summary)
check "summary: account acme, 35 resources, serial 1" \
	jq -e '.account == "acme" and .resources == 35 and .serial == 1' <<<"$s"
a=$(api account)
check "account map: us-east-1 -> metastore main-use1 -> workspace analytics, serverless" \
	jq -e '.regions[0].region == "us-east-1" and .regions[0].metastores[0].name == "main-use1"
	       and (.regions[0].metastores[0].workspaces[0] | .name == "analytics" and .compute == "serverless")' <<<"$a"
check "account map: the workspace's network and storage" \
	jq -e '.regions[0].metastores[0].workspaces[0] | (.networks == ["compute.network/analytics"])
	       and (.storage | index("storage.prefix/acme-lakehouse-default/workspaces/analytics") != null)' <<<"$a"
n=$(api 'namespace?path=')
check "namespace: the metastores" jq -e '.level == "account" and [.children[].name] == ["main-use1"]' <<<"$n"
n=$(api 'namespace?path=main-use1')
check "namespace: main-use1's catalogs, analytics and sales" \
	jq -e '[.children[].name] == ["analytics", "sales"] and (.grants | map(.principal) == ["group:engineers"])' <<<"$n"
n=$(api 'namespace?path=main-use1/sales')
check "namespace: sales, its grants and schemas" \
	jq -e '.securable.address == "catalog/main-use1/sales"
	       and ([.grants[] | "\(.principal) \(.privileges | join(","))"] | sort == ["group:analysts USE_CATALOG", "group:engineers USE_CATALOG,CREATE_SCHEMA"])
	       and ([.children[].name] == ["curated", "raw", "scratch"])' <<<"$n"
e=$(api 'access?on=catalog/main-use1/sales')
check "access: on sales, its owner's privileges included" \
	jq -e '[.effective.access[] | select(.principal == "group:engineers" and .privilege == "CREATE_SCHEMA") | .via[].kind] | sort == ["grant", "owner"]' <<<"$e"
e=$(api 'access?on=schema/main-use1/sales/curated')
check "access: on sales.curated, SELECT reaches alice through group:analysts" \
	jq -e '([.effective.access[] | select(.principal == "user:alice@acme.com" and .privilege == "SELECT") | .via[0].holder] == ["group:analysts"])
	       and ([.effective.memberships[] | select(.principal == "user:alice@acme.com") | .groups] == [["group:analysts"]])' <<<"$e"
e=$(api 'access?on=schema/main-use1/sales/curated&limit=2')
check "access: paged" jq -e '.effective.limit == 2 and (.effective.access | length) == 2 and .effective.total > 2' <<<"$e"
check "access: an unknown securable is 404" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/access?on=catalog/main-use1/nope")" = 404
check "namespace: a path that does not exist is 404" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/namespace?path=main-use1/nope")" = 404
p=$(api 'principal?name=user:alice@acme.com')
check "principal: alice is in group:analysts, whose grants reach her" \
	jq -e '(.member_of | map(.principal) == ["group:analysts"])
	       and ([.grants[] | select(.to == "group:analysts") | .grant] | index("grant/analysts-read-curated") != null)' <<<"$p"
e=$(api 'access?principal=user:alice@acme.com')
check "access: of alice, SELECT on sales.curated" \
	jq -e '[.effective.access[] | select(.securable.address == "schema/main-use1/sales/curated" and .privilege == "SELECT")] | length == 1' <<<"$e"
p=$(api 'principal?name=group:analysts')
check "principal: a group's members" jq -e '.members == ["user:alice@acme.com", "user:bob@acme.com"]' <<<"$p"
r=$(api 'resources?type=grant&limit=3')
check "resources: grants, 3 of 8 on the first page" \
	jq -e '.total == 8 and (.resources | length) == 3 and .resources[0].address == "grant/analysts-read-curated"' <<<"$r"
r2=$(api 'resources?type=grant&limit=3&offset=3')
check "resources: the next page starts where the first ended" \
	jq -e '.offset == 3 and (.resources | length) == 3 and .resources[0].address == "grant/engineers-use-sales"' <<<"$r2"
r=$(api 'resources?prefix=storage.prefix/acme-lakehouse-default/metastores/')
check "resources: by address prefix" jq -e '.total == 5' <<<"$r"
r=$(api 'resource?address=serviceprincipal/report-bot')
check "resource: a sensitive value is masked as show masks it" \
	jq -e '.inputs.spec.client_secret == "(sensitive)"' <<<"$r"
hits=0
for u in 'resource?address=serviceprincipal/report-bot' 'resources?type=serviceprincipal' 'principal?name=service_principal:report-bot' graph history; do
	curl -s "$base/api/$u" "$base/${u}" | grep -q 's3cr3t-never-shown' && hits=$((hits + 1))
done
check "resource: the secret is on no page and in no answer" test "$hits" -eq 0
r=$(api 'resource?address=workspace/analytics')
check "resource: what it depends on, needs it, expanded to" \
	jq -e '(.deps | index("metastore/main-use1") != null) and (.children | index("compute.network/analytics") != null)
	       and (.dependents | index("catalog/main-use1/analytics") != null)' <<<"$r"
h=$(api history)
check "history: the applied state, serial 1, as first seen" \
	jq -e '.total == 1 and .applies[0].serial == 1 and .applies[0].changes == null' <<<"$h"
check "graph: /api/graph.dot is what 'lakeform graph' prints" \
	diff <(curl -s "$base/api/graph.dot") <(cd "$q" && "$lf" graph)
g=$(api 'graph?focus=group/analysts&depth=1')
check "graph: the neighbours of group/analysts" \
	jq -e '.focus == "group/analysts" and ([.nodes[].address] | index("user/alice@acme.com") != null) and ([.nodes[].address] | index("workspace/analytics") != null)' <<<"$g"
check "graph: the page holds Graphviz's SVG, its boxes linked" \
	grep -q '<svg.*' <(curl -s "$base/graph")
check "graph: a box links to its resource" \
	grep -q 'href="/resource?address=group%2Fanalysts"' <(curl -s "$base/graph")
curl -s "$base/graph?focus=group/analysts" >"$work/g1.html"
curl -s "$base/graph?focus=group/analysts" >"$work/g2.html"
check "graph: a focused drawing, asked twice, is the same SVG" \
	sh -c "grep -q '<svg' '$work/g1.html' && cmp -s '$work/g1.html' '$work/g2.html'"
check "a page that does not exist is 404" test "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")" = 404
for m in POST PUT DELETE PATCH; do
	check "$m is refused: 405" test "$(curl -s -o /dev/null -w '%{http_code}' -X "$m" -d x "$base/api/summary")" = 405
done
html=$(curl -s "$base/namespace?path=main-use1/sales")
check "html: a comment from the state is escaped" \
	grep -qF '&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; &lt;script&gt;alert(1)&lt;/script&gt;' <<<"$html"
check "html: no script from the state" test "$(grep -c '<script>' <<<"$html")" -eq 0
check "html: a content security policy without scripts" \
	grep -qi "content-security-policy: default-src 'none'" <(curl -sI "$base/")

# ---- drift on the schedule --------------------------------------------------------
if wait_for drift 20 '.last.report.status == "in_sync"'; then
	ok "drift: the first scheduled check finds the account in sync"
else
	fail "drift: the first scheduled check finds the account in sync" "$(api drift | head -c 300)"
fi
bucket=$q/.lakeform/local/storage/buckets/acme-lakehouse-default/.lakeform-bucket.json
jq '.tags.owner = "someone-else"' "$bucket" >"$work/b.json" && cp "$work/b.json" "$bucket"
if wait_for drift 20 '[.last.report.findings[] | select(.kind == "changed" and .address == "storage.bucket/acme-lakehouse-default")] | length == 1'; then
	ok "drift: a bucket edited behind lakeform's back shows after the next check"
else
	fail "drift: a bucket edited behind lakeform's back shows after the next check" "$(api drift | head -c 300)"
fi
curl -s "$base/drift" >"$work/drift.html"
check "drift: the page says drift, with the field" \
	grep -q 'id="drift-status">drift<' "$work/drift.html"
check "drift: the page names the field and both values" \
	grep -q 'tags.owner</code>: &quot;platform-team&quot; &rarr; &quot;someone-else&quot;' "$work/drift.html"
found=0
for f in "$work"/hook.[0-9]*; do
	[[ -f $f ]] && jq -e '.status == "drift"' "$f" >/dev/null 2>&1 && found=1
done
check "drift: the report is posted to the webhook" test "$found" -eq 1

# ---- the browser ------------------------------------------------------------------
if [[ ! -d $prefix/node_modules/puppeteer-core ]]; then
	mkdir -p "$prefix"
	npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error puppeteer-core@24.43.1 \
		>"$work/npm.log" 2>&1 || fail "npm install puppeteer-core" "$(tail -n 2 "$work/npm.log")"
fi
if [[ -d $prefix/node_modules/puppeteer-core ]]; then
	NODE_PATH=$prefix/node_modules LF_SERVE_SHOTS=${LF_SERVE_SHOTS:-} \
		timeout 300 node "$here/browse.js" "$base" "$work/chrome" >"$work/browse.out" 2>&1
	rc=$?
	cat "$work/browse.out" | grep -E '^(ok|FAIL) ' | while read -r _; do :; done
	passed=$((passed + $(grep -c '^ok ' "$work/browse.out")))
	failed=$((failed + $(grep -c '^FAIL ' "$work/browse.out")))
	grep -E '^(ok|FAIL|     )' "$work/browse.out"
	if [[ $rc -ne 0 ]] && ! grep -q '^FAIL ' "$work/browse.out"; then
		fail "the browser test ran" "$(tail -n 5 "$work/browse.out")"
	fi
fi
check "SIGTERM stops serve, exit 0" stop "$main_pid" TERM

# ---- a token off the loopback address -----------------------------------------------
start_serve bare --listen 127.0.0.2:0
rc=$?
wait "$pid" 2>/dev/null
code=$?
check "127.0.0.2 without a token is refused (exit 64)" test "$rc" -ne 0 -a "$code" -eq 64
check "... saying a token is needed" grep -q 'needs a token' "$work/bare.err"
token=0123456789abcdef-test-token
echo "$token" >"$work/token"
if start_serve tok --listen 127.0.0.2:0 --token-file "$work/token"; then
	ok "127.0.0.2 with --token-file"
	code() { curl -s -o /dev/null -w '%{http_code}' "$@" "$base/api/summary"; }
	check "no token: 401" test "$(code)" = 401
	check "a wrong bearer token: 401" test "$(code -H "Authorization: Bearer ${token}x")" = 401
	check "a wrong token, shorter: 401" test "$(code -H "Authorization: Bearer 0123")" = 401
	check "the bearer token: 200" test "$(code -H "Authorization: Bearer $token")" = 200
	check "basic with the token as password: 200" test "$(code -u "anyone:$token")" = 200
	check "basic with a wrong password: 401" test "$(code -u "anyone:nope")" = 401
	check "401 names the schemes" grep -qi 'www-authenticate: Bearer' <(curl -sI "$base/")
	check "SIGINT stops serve, exit 0" stop "$pid" INT
else
	fail "127.0.0.2 with --token-file" "$(tail -n 3 "$work/tok.err")"
fi
if LAKEFORM_SERVE_TOKEN=$token start_serve envtok --listen 127.0.0.2:0; then
	check "LAKEFORM_SERVE_TOKEN: the bearer token: 200" \
		test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$base/api/summary")" = 200
	check "LAKEFORM_SERVE_TOKEN: none: 401" \
		test "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/summary")" = 401
	stop "$pid" TERM
else
	fail "127.0.0.2 with LAKEFORM_SERVE_TOKEN" "$(tail -n 3 "$work/envtok.err")"
fi

# ---- --heal --------------------------------------------------------------------------
if start_serve heal --listen 127.0.0.1:0 --drift-every 1s --heal; then
	ok "serve --heal starts"
	if wait_for heals 60 '(.heals | length) >= 1 and .heals[0].exit == 0'; then
		ok "heal: the drift found is applied away, apply exit 0"
	else
		fail "heal: the drift found is applied away, apply exit 0" "$(api heals | head -c 400)"
	fi
	check "heal: the bucket's tag is back" jq -e '.tags.owner == "platform-team"' "$bucket"
	if wait_for drift 20 '.last.report.status == "in_sync"'; then
		ok "heal: the next check finds the account in sync"
	else
		fail "heal: the next check finds the account in sync" "$(api drift | head -c 300)"
	fi
	check "heal: shown on the heals page with apply's output" \
		grep -q 'Apply complete' <(curl -s "$base/heals")
	api history >"$work/history.json"
	check "heal: the history has the heal's serial, what it updated" \
		jq -e '.applies[0].source == "heal" and .applies[0].serial > 1 and (.applies[0].applied | index({"address": "storage.bucket/acme-lakehouse-default", "action": "updated"}) != null)' "$work/history.json"
	check "SIGTERM stops serve --heal, exit 0" stop "$pid" TERM
else
	fail "serve --heal starts" "$(tail -n 3 "$work/heal.err")"
fi

# ---- effective access through deep nesting: pages, and chains cut in HTML --------------
# the quickstart again, with dana in d1, d1 in d2, ... d7, and d7 granted
# SELECT on sales.raw: her chain to d7 is seven groups long
q=$work/deep
cp -r "$root/examples/quickstart" "$q"
{
	printf -- '---\napiVersion: lakeform/v1\nkind: User\nmetadata:\n  name: dana@acme.com\n'
	printf 'spec:\n  display_name: Dana\n'
	for i in 1 2 3 4 5 6 7; do
		if [[ $i -eq 1 ]]; then m=user:dana@acme.com; else m=group:d$((i - 1)); fi
		printf -- '---\napiVersion: lakeform/v1\nkind: Group\nmetadata:\n  name: d%s\n' "$i"
		printf 'spec:\n  members:\n    - %s\n' "$m"
	done
	printf -- '---\napiVersion: lakeform/v1\nkind: Grant\nmetadata:\n  name: d7-read-raw\n'
	printf 'spec:\n  principal: group:d7\n  securable:\n    type: schema\n'
	printf '    metastore: main-use1\n    name: sales.raw\n  privileges: [SELECT, USE_SCHEMA]\n'
} >>"$q/10-identities.yaml"
if (cd "$q" && "$lf" apply -auto-approve >"$work/deep-apply.out" 2>&1) &&
	start_serve deep --listen 127.0.0.1:0; then
	e=$(api 'access?principal=user:dana@acme.com')
	check "access: dana's SELECT on sales.raw through d1 .. d7, all seven in the JSON" \
		jq -e '([.effective.access[] | select(.securable.address == "schema/main-use1/sales/raw" and .privilege == "SELECT") | .via[0].holder] == ["group:d7"])
		       and (.effective.memberships | map(select(.holder == "group:d7")) | .[0].groups | length) == 7' <<<"$e"
	e1=$(api 'access?principal=user:dana@acme.com&offset=1&limit=1')
	check "access: a page of one line is the whole answer's second line, total the same" \
		jq -e --argjson all "$e" '.effective.total == $all.effective.total and .effective.total >= 2
		       and .effective.access == [$all.effective.access[1]]' <<<"$e1"
	curl -s "$base/access?principal=user:dana@acme.com" >"$work/deep.html"
	check "access page: a chain of seven groups shows d1, d2, d3, 3 more groups, d7" \
		grep -q 'group%3Ad3">group:d3</a> &rarr; 3 more groups &rarr; <a href="/principal?name=group%3Ad7">' "$work/deep.html"
	check "access page: the groups between are not listed" \
		test "$(grep -c 'name=group%3Ad5' "$work/deep.html")" -eq 0
	check "SIGTERM stops the second serve, exit 0" stop "$pid" TERM
else
	fail "the quickstart with nested groups applies and serves" "$(tail -n 5 "$work/deep-apply.out" "$work/deep.err" 2>/dev/null)"
fi
q=$work/q

# ---- usage -----------------------------------------------------------------------------
(cd "$q" && "$lf" serve --listen nowhere >/dev/null 2>"$work/u1.err")
check "a bad --listen is a usage error" test $? -eq 64
(cd "$q" && "$lf" serve --heal >/dev/null 2>"$work/u2.err")
check "--heal without --drift-every is a usage error" test $? -eq 64
echo short >"$work/short"
(cd "$q" && "$lf" serve --token-file "$work/short" >/dev/null 2>"$work/u3.err")
check "a token shorter than 16 characters is refused" grep -q 'shorter than 16' "$work/u3.err"
finish
