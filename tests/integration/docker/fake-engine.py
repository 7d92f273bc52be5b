#!/usr/bin/env python3
"""fake-engine.py SOCKET LOG MIN MAX [PRODUCT] - a stand-in Docker Engine for
the API version tests (negotiate.sh): it answers on a unix socket as an
engine serving API MIN to MAX would.

- GET /_ping and GET /version (unversioned paths) answer always; /version
  says ApiVersion MAX and MinAPIVersion MIN, and names PRODUCT ("docker",
  the default, or "podman") the way each engine does in Components;
- a path /v1.N/... with N below MIN is refused with Docker's own 400
  "client version 1.N is too old" answer, above MAX with its "is too new";
- in range: GET /v1.N/networks and /v1.N/containers/json answer an empty
  list, GET /v1.N/networks/NAME is 404; anything else is 404 too.

Every request line is appended to LOG ("GET /v1.47/networks?...", a POST
followed by its body), which is what the tests read to see which version
the provider chose.
"""
import json
import os
import re
import socketserver
import sys
from http.server import BaseHTTPRequestHandler

sock, log, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
product = sys.argv[5] if len(sys.argv) > 5 else "docker"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # the unix socket has no client address
        pass

    def answer(self, status, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if body != b"OK" else "text/plain")
        self.send_header("Api-Version", "1.%d" % hi)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode(errors="replace") if n else ""
        with open(log, "a") as f:
            f.write("%s %s%s\n" % (self.command, self.path, " " + body if body else ""))
        path = self.path.split("?", 1)[0]
        m = re.match(r"^/v1\.(\d+)(/.*)$", path)
        if m:
            minor, path = int(m.group(1)), m.group(2)
            if minor < lo:
                return self.answer(400, {"message": "client version 1.%d is too old. Minimum "
                                         "supported API version is 1.%d, please upgrade your "
                                         "client to a newer version" % (minor, lo)})
            if minor > hi:
                return self.answer(400, {"message": "client version 1.%d is too new. Maximum "
                                         "supported API version is 1.%d" % (minor, hi)})
        if path == "/_ping":
            return self.answer(200, b"OK")
        if path == "/version":
            if product == "podman":
                comps = [{"Name": "Podman Engine", "Version": "9.9.0"}]
                version = "9.9.0"
            else:
                comps = [{"Name": "Engine", "Version": "99.0.0"}]
                version = "99.0.0"
            return self.answer(200, {"Version": version, "ApiVersion": "1.%d" % hi,
                                     "MinAPIVersion": "1.%d" % lo, "Components": comps,
                                     "Os": "linux", "Arch": "amd64"})
        if m and path in ("/networks", "/containers/json"):
            return self.answer(200, [])
        return self.answer(404, {"message": "no such object: %s" % path})

    do_GET = do_POST = do_DELETE = do_PUT = handle_any


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(sock):
    os.unlink(sock)
with Server(sock, Handler) as server:
    server.serve_forever()
