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
    "inventory.*": {"queue": "inventory"},
    "notifications.*": {"queue": "notifications"},
}
app.autodiscover_tasks()
