#!/usr/bin/env bash
# run.sh LAKEFORM_BINARY - the SSO kind against a real OpenID Provider:
# npm's oidc-provider 9.13.3 (8.8.1 under node 18; a certified
# implementation), installed into build/oidc/VERSION on first use and
# started by server.js on 127.0.0.1 at a free port, stopped by its pid.  examples/sso is copied with its issuer moved
# to that port.
#
# - the example as written: validate, a plan that checks the provider and
#   passes, apply (the SSO document recorded in the state, the client
#   secret's value nowhere), a plan with no changes and a drift in sync;
# - a wrong issuer (localhost for 127.0.0.1, a trailing slash), a scope
#   and a claim the provider does not support: plan and drift fail, each
#   with the manifest position of the field concerned; --refresh=false
#   does not contact the provider;
# - the provider stopped: plan and drift fail, saying the discovery
#   document cannot be fetched;
# - what the fetch refuses, from servers of the test's own on that port: a
#   redirect (python's http.server), a document over 1 MiB, a server that
#   never answers (an error after 15 s).
# Prints one line per check; the last is `oidc: N passed, N failed`.
set -uo pipefail

lf=${1:?usage: run.sh LAKEFORM_BINARY}
case $lf in /*) ;; *) lf=$PWD/$lf ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
layer=oidc
# shellcheck source=../checks.sh
. "$root/tests/integration/checks.sh"

work=$(mktemp -d /tmp/lakeform-oidc.XXXXXX)
srv_pid=
stop_server() {
	if [[ -n $srv_pid ]]; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
		srv_pid=
	fi
}
cleanup() {
	stop_server
	rm -rf "$work"
}
trap cleanup EXIT
for tool in node npm curl jq; do
	if ! command -v "$tool" >/dev/null; then
		fail "needs $tool (make deps)"
		finish
	fi
done

# ---- oidc-provider, with npm, into build/oidc/VERSION ---------------------------
# 9 needs node 20 or later (URL.parse); Debian 12's node is 18, for which
# 8.8.1 serves the same discovery document and key set
if (($(node -p 'process.versions.node.split(".")[0]') >= 20)); then
	version=9.13.3
else
	version=8.8.1
fi
prefix=${LF_OIDC_PREFIX:-$root/build/oidc}/$version
if [[ ! -f $prefix/node_modules/oidc-provider/package.json ]] ||
	[[ $(jq -r .version "$prefix/node_modules/oidc-provider/package.json") != "$version" ]]; then
	mkdir -p "$prefix"
	if ! npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
		"oidc-provider@$version" >"$work/npm.log" 2>&1; then
		fail "npm install --prefix $prefix oidc-provider@$version: $(tail -n 1 "$work/npm.log")"
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
issuer=http://127.0.0.1:$port
node "$here/server.js" "$port" "$prefix/node_modules" >"$work/server.log" 2>&1 &
srv_pid=$!
for _ in $(seq 300); do
	curl -fsS -o /dev/null "$issuer/.well-known/openid-configuration" 2>/dev/null && break
	kill -0 "$srv_pid" 2>/dev/null || break
	sleep 0.1
done
if ! curl -fsS -o "$work/discovery.json" "$issuer/.well-known/openid-configuration"; then
	fail "oidc-provider did not start on 127.0.0.1:$port" "$(tail -n 3 "$work/server.log")"
	finish
fi
if [[ $(jq -r .issuer "$work/discovery.json") == "$issuer" ]]; then
	ok "oidc-provider $version serves its discovery document at $issuer"
else
	fail "oidc-provider's discovery document names the issuer $issuer" \
		"$(head -c 300 "$work/discovery.json")"
fi

# ---- the example, its issuer on this port -------------------------------------
cfg=$work/sso
cp -r "$root/examples/sso" "$cfg"
rm -rf "$cfg/.lakeform"
sed -i "s|http://127.0.0.1:8600|$issuer|" "$cfg/10-sso.yaml"
secret=the-client-secret-$RANDOM$RANDOM
export ACME_OIDC_CLIENT_SECRET=$secret
cd "$cfg" || exit 1

# run NAME ARGS...: lakeform in the configuration, output in $work/NAME.out,
# exit code in $rc
run() {
	local name=$1
	shift
	last=$name
	"$lf" "$@" >"$work/$name.out" 2>&1
	rc=$?
}
# position FIELD [N]: "10-sso.yaml:LINE:COL" of the value of `FIELD:` (the
# Nth item of its flow list when N is given, from 0), found in the file
position() {
	awk -v field="$1" -v n="${2:--1}" '
		{
			i = index($0, field ":")
			if (!i || substr($0, 1, i - 1) !~ /^ *$/) next
			col = i + length(field) + 2
			if (n < 0) { printf "10-sso.yaml:%d:%d\n", NR, col; exit }
			rest = substr($0, col + 1)           # after "["
			col++
			for (k = 0; k < n; k++) {
				j = index(rest, ",")
				col += j; rest = substr(rest, j + 1)
				while (substr(rest, 1, 1) == " ") { col++; rest = substr(rest, 2) }
			}
			printf "10-sso.yaml:%d:%d\n", NR, col; exit
		}' 10-sso.yaml
}
has() { grep -qF -- "$2" "$work/$1.out"; }

run validate validate
if [[ $rc -eq 0 ]] && has validate "1 SSO"; then ok "validate: the example is valid"; else fail "validate: the example is valid"; fi

run plan plan
if [[ $rc -eq 0 ]] && has plan "+ sso/corp"; then
	ok "plan: the provider agrees with the example, sso/corp to add"
else
	fail "plan: the provider agrees with the example, sso/corp to add"
fi

run apply apply --auto-approve
if [[ $rc -eq 0 ]]; then ok "apply: exit 0"; else fail "apply: exit 0"; fi
run list state list
if has list "sso/corp"; then ok "state list: sso/corp is recorded"; else fail "state list: sso/corp is recorded"; fi
run show state show sso/corp
if has show "ACME_OIDC_CLIENT_SECRET" && has show "$issuer"; then
	ok "state show sso/corp: the issuer and the secret's variable name"
else
	fail "state show sso/corp: the issuer and the secret's variable name"
fi
last=
if grep -rqF -- "$secret" "$cfg" "$work"/*.out; then
	fail "the client secret's value is in no file and no output" \
		"$(grep -rlF -- "$secret" "$cfg" "$work"/*.out | head -n 3)"
else
	ok "the client secret's value is in no file and no output"
fi

run noop plan --detailed-exitcode
if [[ $rc -eq 0 ]]; then ok "plan after apply: no changes (exit 0)"; else fail "plan after apply: no changes (exit 0) (got $rc)"; fi
LAKEFORM_LOG=info run noop_log plan --detailed-exitcode
if [[ $rc -eq 0 ]] && has noop_log "sso: checking the discovery document of '$issuer'"; then
	ok "plan after apply still checks the provider"
else
	fail "plan after apply still checks the provider"
fi
run drift drift
if [[ $rc -eq 0 ]]; then ok "drift: in sync with the provider up (exit 0)"; else fail "drift: in sync with the provider up (exit 0) (got $rc)"; fi

# expect NAME WHAT FIELD [N] TEXT: plan exits 1 with TEXT at FIELD's position
expect() {
	local name=$1 what=$2 field=$3 n=$4 text=$5 at
	at=$(position "$field" "$n")
	run "$name" plan
	if [[ $rc -eq 1 ]] && has "$name" "$at: $text"; then
		ok "$what: plan fails at $at"
	else
		fail "$what: plan fails at $at with '$text' (exit $rc)"
	fi
}
cp 10-sso.yaml "$work/good.yaml"

sed -i "s|issuer: $issuer|issuer: http://localhost:$port|" 10-sso.yaml
expect wrong_host "issuer localhost for 127.0.0.1" issuer -1 \
	"spec.oidc.issuer: the discovery document names the issuer '$issuer', not 'http://localhost:$port'"
run wrong_drift drift
if [[ $rc -eq 1 ]] && has wrong_drift "$(position issuer): spec.oidc.issuer: the discovery document names the issuer"; then
	ok "drift: the wrong issuer is an error at its position (exit 1)"
else
	fail "drift: the wrong issuer is an error at its position (exit 1, got $rc)"
fi
run no_refresh plan --refresh=false
if [[ $rc -eq 0 ]] && ! has no_refresh "discovery"; then
	ok "plan --refresh=false does not contact the provider"
else
	fail "plan --refresh=false does not contact the provider (exit $rc)"
fi

run only_wrong plan -refresh-only
if [[ $rc -eq 1 ]] && has only_wrong "$(position issuer): spec.oidc.issuer: the discovery document names the issuer"; then
	ok "plan -refresh-only checks the provider too (exit 1)"
else
	fail "plan -refresh-only checks the provider too (exit 1, got $rc)"
fi

cp "$work/good.yaml" 10-sso.yaml
sed -i "s|issuer: $issuer|issuer: $issuer/|" 10-sso.yaml
expect slash "issuer with a trailing slash" issuer -1 \
	"spec.oidc.issuer: the discovery document names the issuer '$issuer', not '$issuer/'"

cp "$work/good.yaml" 10-sso.yaml
sed -i "s|scopes: \[openid, email, profile, groups\]|scopes: [openid, email, phone, groups]|" 10-sso.yaml
expect scope "unsupported scope 'phone'" scopes 2 \
	"spec.oidc.scopes: 'phone' is not supported by '$issuer' (scopes_supported: openid, offline_access, email, profile, groups)"

cp "$work/good.yaml" 10-sso.yaml
sed -i "s|groups: groups |groups: roles  |" 10-sso.yaml
expect claim "unsupported claim 'roles'" groups -1 "spec.oidc.claims.groups: 'roles' is not supported by '$issuer'"

# ---- the provider stopped -------------------------------------------------------
cp "$work/good.yaml" 10-sso.yaml
stop_server
run stopped plan
if [[ $rc -eq 1 ]] &&
	has stopped "$(position issuer): spec.oidc.issuer: cannot fetch the OIDC discovery document '$issuer/.well-known/openid-configuration'"; then
	ok "provider stopped: plan fails, the discovery document cannot be fetched"
else
	fail "provider stopped: plan fails, the discovery document cannot be fetched (exit $rc)"
fi
run stopped_drift drift
if [[ $rc -eq 1 ]] && has stopped_drift "cannot fetch the OIDC discovery document" &&
	has stopped_drift "recorded resource"; then
	ok "provider stopped: drift reports, says why the check failed and exits 1"
else
	fail "provider stopped: drift reports, says why the check failed and exits 1 (exit $rc)"
fi
run stopped_norefresh plan --refresh=false --detailed-exitcode
if [[ $rc -eq 0 ]]; then ok "provider stopped: plan --refresh=false still plans (no changes)"; else fail "provider stopped: plan --refresh=false still plans (exit $rc)"; fi

# ---- what the fetch refuses: a redirect, a document over 1 MiB, silence ----------
# a plain HTTP server on the issuer's port: python's http.server answers a
# directory without its trailing slash with a redirect (301)
www=$work/www
mkdir -p "$www/.well-known/openid-configuration"
(cd "$www" && exec python3 -m http.server --bind 127.0.0.1 "$port") >"$work/www.log" 2>&1 &
srv_pid=$!
for _ in $(seq 100); do
	port_open "$port" && break
	sleep 0.1
done
run redirect plan
if [[ $rc -eq 1 ]] && has redirect "$(position issuer): spec.oidc.issuer: the OIDC discovery document '$issuer/.well-known/openid-configuration' answered HTTP 301, not 200"; then
	ok "a redirect is not followed: HTTP 301 is an error"
else
	fail "a redirect is not followed: HTTP 301 is an error (exit $rc)"
fi
rmdir "$www/.well-known/openid-configuration"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$www/.well-known/openid-configuration"
run big plan
if [[ $rc -eq 1 ]] && has big "the answer is longer than 1048576 bytes"; then
	ok "a discovery document over 1 MiB is refused"
else
	fail "a discovery document over 1 MiB is refused (exit $rc)"
fi
stop_server
# a server that takes the connection and never answers
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); time.sleep(120)' "$port" &
srv_pid=$!
for _ in $(seq 100); do
	port_open "$port" && break
	sleep 0.1
done
start=$SECONDS
run silent plan
took=$((SECONDS - start))
if [[ $rc -eq 1 ]] && has silent "Operation timed out after 150" && [[ $took -ge 14 && $took -le 30 ]]; then
	ok "a provider that never answers: an error after 15 s (took ${took} s)"
else
	fail "a provider that never answers: an error after 15 s (exit $rc, took ${took} s)"
fi
stop_server
finish
