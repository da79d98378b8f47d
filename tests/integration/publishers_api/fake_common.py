"""Shared plumbing of the HTTPS provider fakes (fake_cloudflare.py, fake_desec.py).

python3 standard library only. Serves HTTPS on 127.0.0.1 with the certificate given on the
command line, writes the chosen port to --port-file once listening, and answers a few control
requests under /_fake/ (never part of a provider's API) so tests can seed foreign records,
inspect state and the request log, and ask for rate limiting or server errors.
"""

import argparse
import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class Reply(Exception):
    """Raised by handlers to answer with `status`, JSON `body` and extra `headers`."""

    def __init__(self, status, body, headers=None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


class FakeServer:
    """Provider-independent state: request log and injected failures."""

    def __init__(self, provider):
        self.provider = provider  # has handle(method, path, query, headers, body) -> (status, body)
        self.lock = threading.Lock()
        self.log = []
        self.failures = []  # list of (status, retry_after, method or None, after)

    def control(self, method, path, body):
        if path == "/_fake/log" and method == "GET":
            return 200, self.log
        if path == "/_fake/fail" and method == "POST":
            # {"count": N, "status": 429|5xx, "retry_after": seconds or null, "method": only
            # requests with this method, "after": true = carry the request out, then answer the
            # failure (a reply lost after the provider acted)}
            for _ in range(int(body.get("count", 1))):
                self.failures.append((int(body.get("status", 429)), body.get("retry_after"),
                                      body.get("method"), bool(body.get("after", False))))
            return 200, {"queued": len(self.failures)}
        return self.provider.control(method, path, body)


def make_handler(server):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: tests read /_fake/log instead
            pass

        def _answer(self, status, body, headers=None):
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        def _serve(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            split = urlsplit(self.path)
            path = split.path
            query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = "<invalid json>"
            if path.startswith("/_fake/"):
                with server.lock:
                    status, answer = server.control(method, path, body or {})
                self._answer(status, answer)
                return
            with server.lock:
                entry = {"method": method, "path": path, "query": query,
                         "authorization": self.headers.get("Authorization")
                         or self.headers.get("X-API-Key")}
                failure = next((f for f in server.failures if f[2] in (None, method)), None)
                if failure is not None:
                    server.failures.remove(failure)
                    status, retry_after, _, after = failure
                    if after:
                        try:
                            server.provider.handle(method, path, query, self.headers, body)
                        except Reply:
                            pass
                    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
                    answer = server.provider.failure_body(status, retry_after)
                else:
                    try:
                        status, answer = server.provider.handle(method, path, query,
                                                                self.headers, body)
                        headers = {}
                    except Reply as reply:
                        status, answer, headers = reply.status, reply.body, reply.headers
                entry["status"] = status
                server.log.append(entry)
            self._answer(status, answer, headers)

        def do_GET(self):
            self._serve("GET")

        def do_POST(self):
            self._serve("POST")

        def do_PUT(self):
            self._serve("PUT")

        def do_PATCH(self):
            self._serve("PATCH")

        def do_DELETE(self):
            self._serve("DELETE")

    return Handler


def common_arguments(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--token", required=True, help="the valid token with write access")
    parser.add_argument("--read-only-token", default=None,
                        help="a valid token whose writes are refused (403)")
    return parser


def serve(provider, args):
    fake = FakeServer(provider)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(fake))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(args.cert, args.key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    temporary = args.port_file + ".tmp"
    with open(temporary, "w") as out:
        out.write(str(httpd.server_address[1]))
    os.rename(temporary, args.port_file)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
