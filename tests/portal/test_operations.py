"""Running the portal: probes, metrics, JSON logs and the production settings."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from inventory import metrics as inventory_metrics
from portal import metrics
from portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_COOKIES": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "BEHIND_TLS_PROXY": "true",
    "ALLOWED_HOSTS": "portal.example.org",
    "SITE_URL": "https://portal.example.org",
}


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_portal(args: list[str], env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    """Run Python in a fresh process with only ``env`` (plus PATH/HOME) as its environment."""
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    base.update(PORTAL_TESTING="false", PYTHONPATH=str(ROOT), PORTAL_VAR_DIR=str(ROOT / "var"))
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def sample(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- Probes -------------------------------------------------------------------------


def test_healthz_says_the_process_is_alive_and_is_never_cached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_is_unreachable(client):
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    started = time.monotonic()
    with override_settings(CACHES=unreachable):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["cache"].startswith("error")
    assert body["checks"]["database"] == "ok"
    assert time.monotonic() - started < 5


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_is_unreachable(client):
    broker = f"redis://127.0.0.1:{closed_port()}/0"
    started = time.monotonic()
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=broker):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("error")
    assert time.monotonic() - started < 5


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_is_200_when_database_cache_and_broker_answer(client):
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL=settings.REDIS_URL):
        response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"] == {"database": "ok", "cache": "ok", "broker": "ok"}


@pytest.mark.django_db
@override_settings(ALLOWED_HOSTS=["portal.example.org"], SECURE_SSL_REDIRECT=True)
def test_probes_answer_by_pod_ip_over_plain_http(client):
    # The kubelet and Prometheus use the pod's IP as Host and speak plain HTTP.
    assert client.get("/healthz", HTTP_HOST="10.42.0.7:8000").status_code == 200
    assert client.get("/metrics", HTTP_HOST="10.42.0.7:8000").status_code == 200
    # Everything else still gets the host check and the HTTPS redirect.
    assert client.get("/audit/", HTTP_HOST="10.42.0.7:8000").status_code == 400
    redirect = client.get("/audit/", HTTP_HOST="portal.example.org")
    assert redirect.status_code == 301 and redirect["Location"].startswith("https://")


# --- Metrics ------------------------------------------------------------------------


def test_requests_are_counted_by_url_name_and_status(client):
    # /healthz itself is answered before the metrics middleware; count a routed view.
    labels = {"view": "login", "method": "GET", "status": "200"}
    before = sample("portal_http_requests_total", labels)
    assert client.get("/accounts/login/").status_code == 200
    assert sample("portal_http_requests_total", labels) == before + 1
    assert (
        sample("portal_http_request_duration_seconds_count", {"view": "login", "status": "200"})
        >= 1
    )


def test_unknown_paths_share_one_label_so_cardinality_stays_bounded(client):
    labels = {"view": metrics.UNRESOLVED_VIEW, "method": "GET", "status": "404"}
    before = sample("portal_http_requests_total", labels)
    for n in range(5):
        assert client.get(f"/no-such-page-{n}/{secrets.token_hex(4)}").status_code == 404
    assert sample("portal_http_requests_total", labels) == before + 5
    text = metrics.render_metrics().decode()
    assert "no-such-page" not in text
    odd = {"view": "login", "method": "other", "status": "405"}
    before_odd = sample("portal_http_requests_total", odd)
    client.generic("BREW", "/accounts/login/")
    assert sample("portal_http_requests_total", odd) == before_odd + 1


def test_metrics_endpoint_speaks_prometheus_text(client):
    inventory_metrics.observe_sync("gpu-prod", "kubernetes", "ok", 1.5)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    families = {f.name for f in text_string_to_metric_families(response.content.decode())}
    assert {"portal_http_requests", "portal_inventory_syncs", "portal_celery_tasks"} <= families


@override_settings(METRICS_TOKEN="s3cret-token")
def test_metrics_token_is_required_when_set(client):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200 and b"portal_http_requests_total" in ok.content


def test_observe_sync_records_result_duration_and_last_success():
    labels = {"cluster": "ops-test", "source": "dcgm"}
    before_ok = sample("portal_inventory_syncs_total", {**labels, "status": "ok"})
    before_failed = sample("portal_inventory_syncs_total", {**labels, "status": "failed"})
    inventory_metrics.observe_sync("ops-test", "dcgm", "ok", 2.0)
    stamp = sample("portal_inventory_last_success_timestamp_seconds", labels)
    inventory_metrics.observe_sync("ops-test", "dcgm", "FAILED", 30.0)
    assert sample("portal_inventory_syncs_total", {**labels, "status": "ok"}) == before_ok + 1
    assert (
        sample("portal_inventory_syncs_total", {**labels, "status": "failed"}) == before_failed + 1
    )
    assert sample("portal_inventory_sync_duration_seconds_count", labels) >= 2
    # A failure does not move the last-success time.
    assert sample("portal_inventory_last_success_timestamp_seconds", labels) == stamp
    assert time.time() - stamp < 60


def test_set_findings_publishes_counts_and_zeroes_severities_that_went_away():
    inventory_metrics.set_findings({"critical": 2, "warning": 5})
    assert sample("portal_inventory_findings", {"severity": "critical"}) == 2
    inventory_metrics.set_findings({"warning": 3})
    assert sample("portal_inventory_findings", {"severity": "warning"}) == 3
    assert sample("portal_inventory_findings", {"severity": "critical"}) == 0


def test_scrape_callbacks_refresh_derived_values_and_a_failing_one_is_skipped(monkeypatch):
    monkeypatch.setattr(metrics, "_scrape_callbacks", [])
    counts = {"critical": 1}

    def broken():
        raise RuntimeError("database away")

    metrics.on_scrape(broken)
    metrics.on_scrape(lambda: inventory_metrics.set_findings(counts))
    assert 'portal_inventory_findings{severity="critical"} 1.0' in metrics.render_metrics().decode()
    counts["critical"] = 4
    assert 'portal_inventory_findings{severity="critical"} 4.0' in metrics.render_metrics().decode()


@celery_app.task(bind=True, name="tests.operations.flaky", max_retries=2, default_retry_delay=0)
def _flaky(self):
    if self.request.retries < 1:
        raise self.retry(countdown=0)
    return "done"


@celery_app.task(name="tests.operations.broken")
def _broken():
    raise ValueError("broken on purpose")


def test_celery_task_outcomes_are_counted():
    def outcome(task, kind):
        return sample("portal_celery_tasks_total", {"task": task, "outcome": kind})

    flaky, broken = "tests.operations.flaky", "tests.operations.broken"
    before = (outcome(flaky, "retry"), outcome(flaky, "success"), outcome(broken, "failure"))
    _flaky.apply(throw=False)
    assert _broken.apply(throw=False).state == "FAILURE"
    assert outcome(flaky, "retry") == before[0] + 1
    assert outcome(flaky, "success") == before[1] + 1
    assert outcome(broken, "failure") == before[2] + 1
    assert sample("portal_celery_task_duration_seconds_count", {"task": broken}) >= 1


def test_the_worker_imports_the_metrics_signals():
    # The worker never loads the web middleware; CELERY_IMPORTS is what connects them.
    assert "portal.metrics" in celery_app.conf.imports


def test_a_celery_worker_serves_its_metrics_on_its_own_port(monkeypatch):
    port = closed_port()
    monkeypatch.setenv("CELERY_METRICS_PORT", str(port))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    metrics._worker_init()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            body = response.read().decode()
    finally:
        metrics.worker_metrics_server.shutdown()
        metrics.worker_metrics_server.server_close()
    assert "portal_celery_tasks_total" in body


# Three forked children record, as gunicorn workers do; the parent then scrapes.
MULTIPROCESS_SCRAPE = """
import os, sys
from inventory import metrics as inventory_metrics
from portal import metrics
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        inventory_metrics.observe_sync("multi", "kubernetes", "ok", 1.0)
        metrics.observe_request("home", "GET", 200, 0.01)
        os._exit(0)
    os.waitpid(pid, 0)
sys.stdout.write(metrics.render_metrics().decode())
"""


def test_multiprocess_mode_sums_what_every_process_recorded(tmp_path):
    # gunicorn workers and Celery children each count on their own; a scrape must
    # see the sum, whichever process answers it.
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = run_portal(["-c", MULTIPROCESS_SCRAPE], env)
    assert result.returncode == 0, result.stderr
    values = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(result.stdout)
        for s in family.samples
    }
    key = (
        "portal_inventory_syncs_total",
        (("cluster", "multi"), ("source", "kubernetes"), ("status", "ok")),
    )
    assert values[key] == 3
    assert (
        values[
            ("portal_http_requests_total", (("method", "GET"), ("status", "200"), ("view", "home")))
        ]
        == 3
    )


def test_gunicorn_config_clears_old_metrics_files_and_retires_dead_workers(tmp_path, monkeypatch):
    import runpy

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "prom"))
    (tmp_path / "prom").mkdir()
    stale = tmp_path / "prom" / "counter_999.db"
    stale.write_bytes(b"old")
    config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    config["on_starting"](None)
    assert not stale.exists() and (tmp_path / "prom").is_dir()
    live = tmp_path / "prom" / "gauge_livesum_4242.db"
    live.write_bytes(b"")
    config["child_exit"](None, type("Worker", (), {"pid": 4242})())
    assert not live.exists()


# --- Logs ---------------------------------------------------------------------------

JSON_LOG_REQUEST = """
import django
django.setup()
from django.test import Client
Client().get("/readyz", HTTP_X_REQUEST_ID="ops-req-42", HTTP_HOST="portal.example.org")
"""


def test_production_logs_are_json_lines_carrying_the_request_id(tmp_path):
    broker = f"redis://127.0.0.1:{closed_port()}/0"
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portal.example.org",
        "LOG_FORMAT": "json",
        # An unreachable broker makes /readyz answer 503, which Django logs.
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}",
    }
    result = run_portal(["-c", JSON_LOG_REQUEST], env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    logged = [r for r in records if r["logger"] == "django.request"]
    assert logged, lines
    assert logged[0]["request_id"] == "ops-req-42"
    assert logged[0]["status_code"] == 503
    assert logged[0]["level"] == "ERROR"


# --- Production settings ------------------------------------------------------------


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return run_portal(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def test_production_settings_pass_the_deploy_check_without_warnings():
    result = deploy_check(PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_production_profile_alone_is_enough():
    env = {
        "PORTAL_PROFILE": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portal.example.org",
        "SITE_URL": "https://portal.example.org",
    }
    result = deploy_check(env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_fails_when_a_safeguard_is_off():
    result = deploy_check({**PRODUCTION_ENV, "SECURE_HSTS_SECONDS": "0", "SECURE_COOKIES": "false"})
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "security.W004" in output and "security.W012" in output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORTAL_PROFILE": "prod"}, "PORTAL_PROFILE"),
        ({"PORTAL_PROFILE": "production", "DEBUG": "true"}, "DEBUG must be false"),
        ({"LOG_FORMAT": "yaml"}, "LOG_FORMAT"),
    ],
)
def test_settings_refuse_a_mistyped_profile(env, message):
    result = run_portal(
        ["-c", "import portal.settings"], {"SECRET_KEY": secrets.token_urlsafe(64), **env}
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_production_profile_turns_every_safeguard_on():
    script = (
        "import json, portal.settings as s; print(json.dumps([s.SECURE_SSL_REDIRECT,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_PROXY_SSL_HEADER, s.LOG_FORMAT]))"
    )
    result = run_portal(
        ["-c", script], {"PORTAL_PROFILE": "production", "SECRET_KEY": secrets.token_urlsafe(64)}
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        True,
        True,
        True,
        31536000,
        ["HTTP_X_FORWARDED_PROTO", "https"],
        "json",
    ]


def test_the_deploy_check_warns_when_the_public_address_is_unknown():
    unnamed = {k: v for k, v in PRODUCTION_ENV.items() if k != "SITE_URL"}
    result = deploy_check({**unnamed, "ALLOWED_HOSTS": "*"})
    assert result.returncode != 0
    assert "portal.W002" in result.stdout + result.stderr
    named = deploy_check({**unnamed, "ALLOWED_HOSTS": "*", "SITE_URL": "https://p.example"})
    assert named.returncode == 0, named.stdout + named.stderr
