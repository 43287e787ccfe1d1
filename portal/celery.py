"""The Celery app. Queues: "default", "inventory" (syncs, ingest), "notifications",
and the broadcast exchange "gpu-agents" that GPU nodes listen on."""

import os

from celery import Celery
from kombu import Exchange, Queue
from kombu.common import Broadcast

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = (
    Queue("default", Exchange("default"), routing_key="default"),
    Queue("inventory", Exchange("inventory"), routing_key="inventory"),
    Queue("notifications", Exchange("notifications"), routing_key="notifications"),
    Broadcast("gpu-agents"),
)
app.conf.task_routes = {
    # Exact names win over patterns: every GPU node's agent gets this one.
    "inventory.agent_collect": {"queue": "gpu-agents"},
    "inventory.*": {"queue": "inventory"},
    "notifications.*": {"queue": "notifications"},
}
app.conf.beat_schedule = {
    # Cheap when nothing is due: one query over the sources; syncs run on "inventory".
    "inventory-dispatch-due-syncs": {
        "task": "inventory.dispatch_due_syncs",
        "schedule": 30.0,
        "options": {"queue": "inventory", "expires": 25},
    },
    "inventory-prune-sync-runs": {
        "task": "inventory.prune_sync_runs",
        "schedule": 6 * 3600.0,
        "options": {"queue": "inventory"},
    },
}
app.autodiscover_tasks()
