"""A small HTTP proxy in front of the real Keycloak that can be told to fail as a
load balancer or a restarting Keycloak does: 502/503/504 with an HTML page, 429
with Retry-After, an answer slower than the portal's timeout, or a closed
connection. Everything else is passed through unchanged, Host header included, so
Keycloak names the proxy as the issuer and the whole sign-in runs through it.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PASS = "pass"
CLOSE = "close"
SLOW = "slow"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}


class FaultProxy:
    def __init__(self, upstream: str, *, slow_seconds: float = 3.0):
        self.upstream = urlsplit(upstream)
        self.mode: str | int = PASS
        self.only: str = ""  # fail only paths containing this; "" fails every path
        self.slow_seconds = slow_seconds
        self.faults = 0
        self.paths: list[str] = []
        self.server: ThreadingHTTPServer | None = None

    def fail(self, mode: str | int, *, only: str = "") -> None:
        self.mode, self.only = mode, only

    def heal(self) -> None:
        self.mode, self.only = PASS, ""

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                mode = proxy.mode
                proxy.paths.append(self.path.split("?", 1)[0])
                if mode != PASS and proxy.only in self.path:
                    proxy.faults += 1
                    if mode == CLOSE:
                        self.close_connection = True
                        self.connection.close()
                        return
                    if mode == SLOW:
                        # Longer than the portal waits; then nothing.
                        time.sleep(proxy.slow_seconds)
                        self.close_connection = True
                        return
                    if isinstance(mode, int):
                        page = f"<html><body><h1>{mode}</h1>upstream unavailable</body></html>"
                        self.send_response(mode)
                        self.send_header("Content-Type", "text/html")
                        if mode == 429:
                            self.send_header("Retry-After", "5")
                        self.send_header("Content-Length", str(len(page)))
                        self.end_headers()
                        self.wfile.write(page.encode())
                        return
                upstream = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=60
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
