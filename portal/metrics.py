"""Prometheus metrics: the functions apps call, the request middleware and /metrics.

The portal's own metrics (requests, Celery tasks, refused credentials) live here;
an app defines its own in its ``metrics`` module (``inventory/metrics.py``: syncs and
findings) and refreshes values derived from the database through ``on_scrape``. Every
label is drawn from a bounded set (URL names, HTTP methods and codes, task names,
cluster names, severities): no user input becomes a label value.

Several processes (gunicorn workers, Celery's prefork children) each hold their own
counters. With ``PROMETHEUS_MULTIPROC_DIR`` set (before the process starts), each
writes them to files in that directory and a scrape sums them; the directory is
emptied when gunicorn's master or the Celery worker starts. Web processes serve
/metrics; a Celery worker serves its own on ``CELERY_METRICS_PORT`` when that is set.

/metrics is open unless ``METRICS_TOKEN`` is set; then it wants
``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from celery import signals as celery_signals
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)

log = logging.getLogger(__name__)

UNRESOLVED_VIEW = "<unresolved>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

HTTP_REQUESTS = Counter(
    "portal_http_requests_total",
    "HTTP requests answered, by URL name, method and status code.",
    ["view", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "portal_http_request_duration_seconds",
    "Time to answer an HTTP request, by URL name and status code.",
    ["view", "status"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CELERY_TASKS = Counter(
    "portal_celery_tasks_total",
    "Celery task outcomes (success, failure, retry), by task name.",
    ["task", "outcome"],
)
CELERY_TASK_DURATION = Histogram(
    "portal_celery_task_duration_seconds",
    "Time a Celery task ran, by task name.",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0),
)
AUTH_REFUSALS = Counter(
    "portal_auth_refused_total",
    "Refused credentials (bearer tokens, logout tokens, passwords), by method and code.",
    ["method", "code"],
)

_task_started: dict[str, float] = {}
_scrape_callbacks: list[Callable[[], None]] = []
# The HTTP server a Celery worker serves its metrics from (CELERY_METRICS_PORT).
worker_metrics_server = None


# --- What the apps call ---------------------------------------------------------------


def on_scrape(callback: Callable[[], None]) -> None:
    """Run ``callback`` before every /metrics scrape, for values that are derived from
    the database rather than events: an app registers it from AppConfig.ready() (the
    inventory publishes its findings gauge so). A callback that raises
    is logged and skipped; it never breaks the scrape."""
    _scrape_callbacks.append(callback)


def observe_request(view: str, method: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "other"
    HTTP_REQUESTS.labels(view, method, str(status)).inc()
    HTTP_LATENCY.labels(view, str(status)).observe(seconds)


# --- Exposition -------------------------------------------------------------------------


def multiprocess_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def collector_registry() -> CollectorRegistry:
    if multiprocess_dir() is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def render_metrics() -> bytes:
    for callback in list(_scrape_callbacks):
        try:
            callback()
        except Exception:
            log.exception("metrics scrape callback %r failed", callback)
    return generate_latest(collector_registry())


def _authorized(request) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    if not token:
        return True
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


@never_cache
def metrics_view(request):
    if not _authorized(request):
        response = HttpResponse("A bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(render_metrics(), content_type=CONTENT_TYPE_LATEST)


class RequestMetricsMiddleware:
    """Counts and times every request under its URL name, never its path: paths carry
    ids and arbitrary 404 probes, URL names are a fixed set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None and match.view_name else UNRESOLVED_VIEW
        observe_request(
            view, request.method or "", response.status_code, time.perf_counter() - started
        )
        return response


# --- Celery -----------------------------------------------------------------------------


def _task_name(sender) -> str:
    return getattr(sender, "name", None) or str(sender)


def _task_prerun(task_id=None, **_kwargs):
    if task_id:
        _task_started[task_id] = time.perf_counter()


def _task_postrun(sender=None, task_id=None, **_kwargs):
    started = _task_started.pop(task_id, None) if task_id else None
    if started is not None:
        CELERY_TASK_DURATION.labels(_task_name(sender)).observe(time.perf_counter() - started)


def _task_success(sender=None, **_kwargs):
    CELERY_TASKS.labels(_task_name(sender), "success").inc()


def _task_failure(sender=None, **_kwargs):
    CELERY_TASKS.labels(_task_name(sender), "failure").inc()


def _task_retry(sender=None, **_kwargs):
    CELERY_TASKS.labels(_task_name(sender), "retry").inc()


def _worker_init(**_kwargs):
    # Runs in the worker's main process, before the pool forks its children.
    directory = multiprocess_dir()
    if directory is not None:
        # Files from a previous run of this container would be summed in.
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)
    port = os.environ.get("CELERY_METRICS_PORT")
    if port:
        global worker_metrics_server
        worker_metrics_server, _thread = start_http_server(int(port), registry=collector_registry())


def _worker_process_shutdown(pid=None, **_kwargs):
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(pid or os.getpid())


def count_auth_refusal(method: str, code: str) -> None:
    """One refused credential; ``code`` is one of portal.auth.tokens' error codes or
    another fixed word, never text from the request."""
    AUTH_REFUSALS.labels(method=method, code=code).inc()


def register() -> None:
    """The Celery hooks (PortalConfig.ready). A worker runs ``django.setup()`` from
    Celery's Django fixup before it sends ``worker_init``, so they are in place then."""
    celery_signals.task_prerun.connect(_task_prerun)
    celery_signals.task_postrun.connect(_task_postrun)
    celery_signals.task_success.connect(_task_success)
    celery_signals.task_failure.connect(_task_failure)
    celery_signals.task_retry.connect(_task_retry)
    celery_signals.worker_init.connect(_worker_init)
    celery_signals.worker_process_shutdown.connect(_worker_process_shutdown)
