"""The Celery app with the portal's queues, "default" and "notifications"; apps add
theirs ("inventory" for syncs and ingest, the broadcast "gpu-agents" GPU nodes listen
on) and their schedules from their AppConfig.ready()."""

import ctypes
import ctypes.util
import gc
import os

from celery import Celery
from kombu import Exchange, Queue

from portal.registry import DuplicateRegistration

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The portal's own queues; an app adds its own from AppConfig.ready() (queue_add,
# route_add, and Celery's app.add_periodic_task for schedules), which a worker and beat
# run (through Celery's Django fixup) before they read them.
app.conf.task_queues = (
    Queue("default", Exchange("default"), routing_key="default"),
    Queue("notifications", Exchange("notifications"), routing_key="notifications"),
)
app.conf.task_routes = {"notifications.*": {"queue": "notifications"}}


def queue_add(queue: Queue) -> None:
    """Declare an app's queue (a ``kombu.Queue`` or ``Broadcast``); once per name."""
    if any(q.name == queue.name for q in app.conf.task_queues):
        raise DuplicateRegistration(f"Celery queue {queue.name!r} is registered twice")
    app.conf.task_queues = (*app.conf.task_queues, queue)


def route_add(pattern: str, queue: str) -> None:
    """Send the tasks named ``pattern`` (an exact name or a glob such as
    ``"<app>.*"``; exact names win) to ``queue``; once per pattern."""
    if pattern in app.conf.task_routes:
        raise DuplicateRegistration(f"Celery route {pattern!r} is registered twice")
    app.conf.task_routes = {**app.conf.task_routes, pattern: {"queue": queue}}


def release_memory() -> bool:
    """Give a large task's freed memory back to the system: collect the cycles, then ask
    glibc to return the free parts of its heap (``malloc_trim``). Without it a worker
    child that parsed a 5,000-node export keeps that peak resident until it exits.
    True when the trim ran (glibc only; elsewhere only the collection)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return False
    trim(0)
    return True


app.autodiscover_tasks()
