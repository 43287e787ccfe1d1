"""The one outbound HTTP client against a real local server: statuses are answers,
redirects are not followed, bodies are capped, and every failure is an HttpError."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.http import HttpError, http_request


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.end_headers()
            return
        if self.path == "/slow":
            time.sleep(1.5)
        body = b"x" * 5000 if self.path == "/big" else b"fine"
        self.send_response(503 if self.path == "/busy" else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _get(url, **kw):
    return http_request("GET", url, timeout=kw.pop("timeout", 3), max_bytes=1000, **kw)


def test_an_answer_carries_its_status_and_body(server):
    assert (_get(f"{server}/ok").status, _get(f"{server}/ok").body) == (200, b"fine")
    assert _get(f"{server}/busy").status == 503


def test_a_redirect_is_an_answer_not_a_place_to_go(server):
    assert _get(f"{server}/redirect").status == 302


def test_a_body_over_the_cap_is_refused(server):
    with pytest.raises(HttpError, match="more than 1000 bytes"):
        _get(f"{server}/big")


def test_a_slow_server_times_out(server):
    with pytest.raises(HttpError, match="timed out"):
        _get(f"{server}/slow", timeout=0.3)


def test_nobody_listening_is_unreachable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(HttpError, match="unreachable"):
        _get(f"http://127.0.0.1:{port}/")
