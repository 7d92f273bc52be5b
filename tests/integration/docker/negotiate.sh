# negotiate.sh - the docker provider's choice of API version, against
# fake-engine.py (an engine that serves the versions it is told to and
# refuses the others as Docker does).  Sourced by run.sh, whose check(),
# $lf, $provider, $scratch and $top it uses; needs python3 only.
#
# Each case starts a fake engine on a private socket, drives the provider
# over the protocol (configure, then a read that lists networks) or
# lakeform itself, and reads the engine's request log: which paths were
# asked for is the independent evidence of the version chosen.

fake_pid=
fake_start() { # MIN MAX [PRODUCT]: a fake engine serving API 1.MIN to 1.MAX
	fake_stop
	export fake_sock=$scratch/fake.sock
	export fake_log=$scratch/fake.log
	: >"$fake_log"
	python3 "$here/fake-engine.py" "$fake_sock" "$fake_log" "$@" 2>"$scratch/fake.err" &
	fake_pid=$!
	for _ in $(seq 1 100); do
		curl -sf --unix-socket "$fake_sock" http://d/_ping >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "fake engine did not start: $(cat "$scratch/fake.err")" >&2
	return 1
}
fake_stop() {
	if [[ -n $fake_pid ]]; then
		kill "$fake_pid" 2>/dev/null
		wait "$fake_pid" 2>/dev/null
		fake_pid=
	fi
}

# fake_rpc [ENV=VALUE...]: configure the provider on the fake engine and read a
# network by its labels; the answers in $scratch/fake.rpc, its log in
# $scratch/fake.plog
fake_rpc() {
	printf '%s\n' \
		'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocol_version":1}}' \
		'{"jsonrpc":"2.0","id":2,"method":"configure","params":{"settings":{},"account":"hooli"}}' \
		'{"jsonrpc":"2.0","id":3,"method":"read","params":{"type":"compute.network","address":"compute.network/etl","id":null,"inputs":null}}' |
		(cd "$scratch" && env DOCKER_HOST="unix://$fake_sock" "$@" "$provider" 2>"$scratch/fake.plog") >"$scratch/fake.rpc"
}
configured() { grep '"id":2' "$scratch/fake.rpc" | grep -q '"result"'; }
read_ok() { grep '"id":3' "$scratch/fake.rpc" | grep -q '"exists":false'; }
asked() { grep -q "^GET $1" "$fake_log"; }    # the engine was asked for PATH...
never_asked() { ! grep -q "$1" "$fake_log"; } # no request held TEXT
logged() { grep -qF -- "$1" "$scratch/fake.plog"; }
answered() { grep "\"id\":$1" "$scratch/fake.rpc" | grep -qF -- "$2"; }
# for the checks that combine them in `bash -c`
export -f configured read_ok asked never_asked logged answered
export scratch

if ! command -v python3 >/dev/null; then
	fail "negotiation: python3 runs the fake engine (make deps installs it)"
else
	# a current Docker: 1.41 refused, 1.44 at least required
	fake_start 44 47 docker
	check "negotiation, engine 1.44-1.47: the fake engine refuses /v1.41 as Docker does" \
		bash -c "curl -s --unix-socket '$fake_sock' http://d/v1.41/_ping | grep -q 'client version 1.41 is too old'"
	: >"$fake_log"
	fake_rpc
	check "negotiation, engine 1.44-1.47: configure succeeds" configured
	check "negotiation, engine 1.44-1.47: GET /version asked unversioned" asked "/version"
	check "negotiation, engine 1.44-1.47: the read lists networks at /v1.47" asked "/v1.47/networks?"
	check "negotiation, engine 1.44-1.47: the read succeeds" read_ok
	check "negotiation, engine 1.44-1.47: no request at /v1.41" never_asked "/v1.41/"
	check "negotiation, engine 1.44-1.47: the log names the engine and the version" \
		logged "Docker 99.0.0, API 1.44 to 1.47; using API 1.47 (lakeform speaks 1.41 to 1.47)"

	# an engine newer than lakeform: lakeform's newest
	fake_start 44 52 docker
	fake_rpc
	check "negotiation, engine 1.44-1.52: the read uses /v1.47, lakeform's newest" \
		bash -c "configured && read_ok && asked /v1.47/networks && never_asked /v1.52/"

	# an older engine, as Podman 4 is: the engine's newest
	fake_start 24 43 podman
	fake_rpc
	check "negotiation, engine 1.24-1.43: the read uses /v1.43" \
		bash -c "configured && read_ok && asked /v1.43/networks"
	check "negotiation, engine 1.24-1.43: the log names Podman" \
		logged "Podman 9.9.0, API 1.24 to 1.43; using API 1.43"

	# no version in common, either way
	fake_start 48 52 docker
	fake_rpc
	check "negotiation, engine 1.48-1.52: configure fails naming both ranges" \
		answered 2 "speaks API 1.48 to 1.52, lakeform speaks 1.41 to 1.47: no version in common"
	check "negotiation, engine 1.48-1.52: the error is 1004" answered 2 '"code":1004'
	check "negotiation, engine 1.48-1.52: nothing asked at a versioned path" never_asked "/v1."
	fake_start 12 40 docker
	fake_rpc
	check "negotiation, engine 1.12-1.40: configure fails naming both ranges" \
		answered 2 "speaks API 1.12 to 1.40, lakeform speaks 1.41 to 1.47: no version in common"

	# DOCKER_API_VERSION: exactly that version, as the Docker CLI does
	fake_start 44 47 docker
	fake_rpc DOCKER_API_VERSION=1.45
	check "DOCKER_API_VERSION=1.45: the read uses /v1.45" \
		bash -c "configured && read_ok && asked /v1.45/networks && never_asked /v1.47/"
	check "DOCKER_API_VERSION=1.45: the log says where the version came from" \
		logged "using API 1.45 (from DOCKER_API_VERSION)"
	: >"$fake_log"
	fake_rpc DOCKER_API_VERSION=1.41
	check "DOCKER_API_VERSION=1.41 on engine 1.44-1.47: the read is sent to /v1.41" asked "/v1.41/networks"
	check "DOCKER_API_VERSION=1.41 on engine 1.44-1.47: it fails with the engine's reason" \
		answered 3 "client version 1.41 is too old"
	fake_rpc DOCKER_API_VERSION=latest
	check "DOCKER_API_VERSION=latest: configure fails, 1003, saying the form" \
		bash -c "answered 2 '\"code\":1003' && answered 2 \"DOCKER_API_VERSION 'latest' must be an API version of the form 1.N\""

	# lakeform --verbose shows the provider's log line
	fake_start 44 47 docker
	fakecfg=$scratch/fakecfg
	cp -r "$top/examples/podman" "$fakecfg"
	rm -rf "$fakecfg/.lakeform"
	# (the fake engine makes nothing: the apply fails, and shows the log all the same)
	check "negotiation: lakeform --verbose apply names the engine and version" \
		bash -c "DOCKER_HOST=unix://$fake_sock '$lf' -C '$fakecfg' --verbose apply --auto-approve >'$scratch/out' 2>&1;
			grep -q 'docker.log: docker: docker engine at .*: Docker 99.0.0, API 1.44 to 1.47; using API 1.47' '$scratch/out'"
	check "negotiation: the apply's requests were at /v1.47" \
		bash -c "asked /v1.47/networks && grep -q '^POST /v1.47/networks/create' '$fake_log' && never_asked /v1.41/"
	check "negotiation: at 1.47 the network is created without CheckDuplicate (deprecated from 1.44)" \
		bash -c "grep '^POST /v1.47/networks/create {' '$fake_log' && never_asked CheckDuplicate"
	fake_stop
	export -n fake_sock fake_log
fi
