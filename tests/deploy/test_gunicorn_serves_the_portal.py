"""The image's command, run for real: gunicorn with deploy/gunicorn.conf.py, two
workers, the production profile and multi-process metrics."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, **headers) -> tuple[int, str]:
    """GET without following redirects (they point at https://, which nothing serves)."""
    parsed = urlsplit(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)
    try:
        connection.request("GET", parsed.path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def gunicorn(tmp_path):
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PORTAL_TESTING": "false",
        "PORTAL_PROFILE": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portal.example.org",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen(
        [str(gunicorn_bin), "--config", "deploy/gunicorn.conf.py", "portal.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text())
    yield base, tmp_path / "gunicorn.log", port
    # SIGINT: quick shutdown; graceful draining is not what this test is about.
    process.send_signal(signal.SIGINT)
    process.wait(timeout=30)
    log.close()


def test_the_image_command_serves_probes_pages_and_summed_metrics(gunicorn):
    base, log, _port = gunicorn
    # Probes by IP over plain HTTP get through the host check and the HTTPS redirect.
    assert get(f"{base}/healthz") == (200, '{"status": "ok"}')
    # Everything else gets both: plain HTTP is redirected, by IP it is refused, and
    # behind the proxy (X-Forwarded-Proto) it reaches the view, which sends an
    # anonymous visitor to sign in (no template, so no collected static files needed).
    assert get(f"{base}/audit/", Host="portal.example.org")[0] == 301
    assert get(f"{base}/audit/")[0] == 400
    headers = {"Host": "portal.example.org", "X-Forwarded-Proto": "https"}
    assert {get(f"{base}/audit/", **headers)[0] for _ in range(8)} == {302}
    status, body = get(f"{base}/metrics")
    assert status == 200
    # Two workers answered; the scrape (from either) sees all eight requests.
    line = next(
        line
        for line in body.splitlines()
        if line.startswith("portal_http_requests_total{")
        and 'view="audit-list"' in line
        and 'status="302"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) == 8
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any(r["logger"] == "gunicorn.error" for r in records)


def test_the_dockerfile_healthcheck_passes_against_the_running_server(gunicorn):
    _base, _log, port = gunicorn
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    command = json.loads(re.search(r"^\s+CMD (\[.*\])$", dockerfile, flags=re.M).group(1))
    assert command[0] == "python"
    probe = [sys.executable, *command[1:]]
    assert subprocess.run(probe, env={"PORT": str(port)}, timeout=30).returncode == 0
    # And it fails when nothing answers.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    failed = subprocess.run(probe, env={"PORT": str(dead)}, capture_output=True, timeout=30)
    assert failed.returncode != 0
