# server.sh - sourced by tests/integration/scim/run.sh and
# tests/bench/scim-bench.sh: the SCIM test server (server.js), its npm
# packages installed into a cache directory on first use.
#   scim_install PREFIX LOG      0, or 1 with the reason in LOG
#   scim_start PREFIX PORT TOKEN on|off LOG   start it (SCIM_PID), wait for it
#   scim_stop                    stop it by its pid
#   scim_free_port               a port nothing listens on, in SCIM_PORT

# express 4: in express 5 req.query is a getter, so scimmy-routers' cast of
# startIndex and count to numbers is lost and every page is the whole list
SCIM_PKGS="scimmy@1.3.5 scimmy-routers@1.3.2 express@4.21.2"
SCIM_PID=

scim_install() {
	local prefix=$1 log=$2 here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [[ ! -f $prefix/.installed ]] || [[ $(cat "$prefix/.installed") != "$SCIM_PKGS" ]]; then
		mkdir -p "$prefix"
		# server.js is an ES module: the directory it runs from says so
		printf '{"type": "module", "private": true}\n' >"$prefix/package.json"
		# shellcheck disable=SC2086
		npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error $SCIM_PKGS \
			>"$log" 2>&1 || return 1
		echo "$SCIM_PKGS" >"$prefix/.installed"
	fi
	cp "$here/server.js" "$prefix/server.js"
}

scim_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

scim_free_port() {
	local p
	SCIM_PORT=
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 20000))
		if ! scim_port_open "$p"; then
			SCIM_PORT=$p
			return 0
		fi
	done
	return 1
}

scim_start() {
	local prefix=$1 port=$2 token=$3 bulk=$4 log=$5
	node "$prefix/server.js" --port "$port" --token "$token" --bulk "$bulk" >>"$log" 2>&1 &
	SCIM_PID=$!
	for _ in $(seq 100); do
		scim_port_open "$port" && return 0
		sleep 0.1
	done
	return 1
}

scim_stop() {
	if [[ -n $SCIM_PID ]]; then
		kill "$SCIM_PID" 2>/dev/null
		wait "$SCIM_PID" 2>/dev/null
		SCIM_PID=
	fi
}
