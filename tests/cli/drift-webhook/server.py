#!/usr/bin/env python3
"""A webhook receiver for the drift-webhook case.

usage: server.py DIR STATUS...

Listens on 127.0.0.1 (a free port, written to DIR/port), answers the n-th
POST with the n-th STATUS (the last one repeats), and records each request
as DIR/request-N.json: method, path, Content-Type and the body as sent.
"""
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

out = sys.argv[1]
statuses = [int(s) for s in sys.argv[2:]] or [200]
count = 0


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8")
        status = statuses[min(count, len(statuses) - 1)]
        count += 1
        with open(os.path.join(out, "request-%d.json" % count), "w") as f:
            json.dump({"method": self.command, "path": self.path,
                       "content_type": self.headers.get("Content-Type"),
                       "body": body}, f)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


server = HTTPServer(("127.0.0.1", 0), Hook)
with open(os.path.join(out, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(out, "port.tmp"), os.path.join(out, "port"))
server.serve_forever()
