"""gunicorn settings for the container image (`gunicorn --config deploy/gunicorn.conf.py`).

Every knob is an environment variable so that compose and Kubernetes tune the same
image without rebuilding it.
"""

import os
import shutil
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# Kubernetes sends SIGTERM and waits terminationGracePeriodSeconds (30 s by default).
graceful_timeout = 25
keepalive = 5
# gunicorn reads bodies without a size limit of its own: the portal counts each
# upload while reading it and refuses a request over UPLOAD_MAX_REQUEST_BYTES (the
# same environment variable, default 20 MB) before reading it when its length is
# announced. The proxy in front (Traefik's buffering middleware, nginx's
# proxy-body-size) should refuse at that same size; see README, "Uploads".
# Recycling workers bounds the damage of a slow leak in any dependency.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The heartbeat file must live on a writable tmpfs: the root filesystem is read-only.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# The request metrics and the application log already say what each request did.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

if (
    os.environ.get(
        "LOG_FORMAT", "json" if os.environ.get("PORTAL_PROFILE") == "production" else "text"
    )
    == "json"
):
    # gunicorn's own lines in the same JSON shape as the application's.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "portal.logging.RequestIdFilter"}},
        "formatters": {"json": {"()": "portal.logging.JsonFormatter"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["request_id"],
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            # With a logging config gunicorn would log every request; only on request.
            "gunicorn.access": {
                "handlers": ["console"] if accesslog else [],
                "level": "INFO",
                "propagate": False,
            },
        },
    }


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(value) if value else None


def on_starting(server):
    # Files left by a previous master would be summed into the new one's counters.
    directory = _multiproc_dir()
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    # A dead worker's live gauges must stop counting; its counters are kept.
    if _multiproc_dir() is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
