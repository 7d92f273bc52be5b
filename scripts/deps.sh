#!/usr/bin/env bash
# Install the Debian packages lakeform needs to build and test, when absent.
# Fast when everything is there: one dpkg query, no network.
set -euo pipefail

pkgs=(
	gcc make libc6-dev pkg-config git ca-certificates
	libyaml-dev libjansson-dev libcurl4-openssl-dev libgit2-dev libcmocka-dev
	libssl-dev               # libcrypto: AES-256-GCM and SHA-256 of the state's secrets
	libmicrohttpd-dev        # lakeform serve: the HTTP server
	graphviz                 # lakeform serve draws the dependency graph with dot -Tsvg
	json-schema-test-suite   # the JSON Schema test suite (tests/schema-suite)
	clang-format             # make lint
	clang libclang-rt-14-dev # make fuzz, the fuzz layer: clang with libFuzzer and its
	                         # sanitizer runtimes (libclang_rt.fuzzer is in the
	                         # runtime package, only recommended by clang)
	podman runc busybox-static # make test-docker: a Docker Engine API and a node image
	curl                     # make test-docker asks the engine's socket directly;
	                         # make test-scim checks the SCIM server with it
	docker.io                # make test-dockerd: Docker's own engine (dockerd, its
	                         # containerd) and the docker CLI that checks it
	awscli                   # /usr/bin/aws, the independent client of make test-s3
	jq                       # the s3 and scim tests read JSON answers
	ceph-mon                 # make test-ceph: the cluster's monitor (and monmaptool)
	ceph-osd                 # make test-ceph: one OSD on memstore
	radosgw                  # make test-ceph: Ceph's S3 gateway (and radosgw-admin)
	ceph-common              # make test-ceph: the ceph command that adds the OSD
	python3-venv             # scripts/moto.sh: moto[server] into build/moto when
	                         # moto_server is missing (Debian 12 has no moto)
	python3                  # small HTTP servers of the CLI tests (a webhook)
	strace                   # the provider tests count fsyncs
	perl                     # a test provider written in Perl (JSON::PP)
	procps                   # pgrep: the crash tests find a provider's children
	time                     # /usr/bin/time: peak memory in a CLI test and make bench
	iproute2                 # ip route: the dockerd test picks a network no route covers
	cmark-gfm                # the cli test markdown-render renders the plan and drift
	                         # comments as GitHub does (scripts/render-comment.sh)
	chromium                 # scripts/screenshot-comment.sh: docs/img/plan-comment*.png,
	                         # and the picture the markdown-render test takes
	man-db bsdextrautils     # the CLI tests render build/lakeform.1 (man -l, col -b)
	zsh fish                 # the CLI tests run the zsh and fish completion scripts
)

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done
# ajv-cli (an independent check of schemas/) and make test-scim's SCIM server
# (SCIMMY) need node and npm.  They may
# come from elsewhere than Debian (a nodesource nodejs bundles npm, and
# Debian's npm conflicts with it): install only what has no command.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "deps: installing ${missing[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null; then
		sudo=(sudo)
	else
		echo "deps: not root and no sudo; run as root: apt-get install ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
