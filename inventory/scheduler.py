"""Due syncs without Celery beat: the embedded default (`make run`) has no beat and no
Redis, so a daemon thread in the runserver process does beat's job.

Every ``tick`` seconds it calls the same ``syncs_dispatch_due`` that beat's task calls;
with Celery eager, the syncs it dispatches run right there in the thread. Started from
``InventoryConfig.ready()`` only when ``INVENTORY_INPROCESS_SYNC`` is on, Celery is
eager, and this is the process that serves (runserver's reloader child), so ``migrate``
or ``seed_portal`` never start it.
"""

from __future__ import annotations

import logging
import os
import threading

from django.conf import settings
from django.db import close_old_connections

log = logging.getLogger(__name__)

_started = threading.Event()


def tick_once() -> dict:
    from inventory.services import syncs_dispatch_due

    try:
        return syncs_dispatch_due()
    finally:
        close_old_connections()


def _loop(tick: float, stop: threading.Event) -> None:
    while not stop.wait(tick):
        try:
            tick_once()
        except Exception:  # the scheduler outlives one bad tick, as beat does
            log.exception("in-process inventory scheduler tick failed")


def should_start(environ=os.environ) -> bool:
    return (
        settings.INVENTORY_INPROCESS_SYNC
        and settings.CELERY_TASK_ALWAYS_EAGER
        and environ.get("RUN_MAIN") == "true"
    )


def start(tick: float = 30.0, stop: threading.Event | None = None) -> threading.Thread | None:
    """Start the scheduler thread once per process; returns it (None if already running)."""
    if _started.is_set():
        return None
    _started.set()
    thread = threading.Thread(
        target=_loop, args=(tick, stop or threading.Event()), name="inventory-scheduler"
    )
    thread.daemon = True
    thread.start()
    log.info("in-process inventory scheduler started (every %gs)", tick)
    return thread
