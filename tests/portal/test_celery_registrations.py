"""Apps bring their own Celery queues, routes and schedules; the portal's Celery app
names none of theirs, and a second registration under one name raises."""

from pathlib import Path

import pytest
from kombu import Queue

from portal.celery import app, queue_add, route_add
from portal.registry import DuplicateRegistration

ROOT = Path(__file__).resolve().parents[2]


def test_the_inventory_registers_its_queues_routes_and_schedules():
    app.loader.import_default_modules()
    names = {q.name for q in app.conf.task_queues}
    assert {"default", "notifications", "inventory"} <= names
    router = app.amqp.router
    assert router.route({}, "inventory.sync_cluster")["queue"].name == "inventory"
    assert router.route({}, "inventory.agent_collect")["queue"].exchange.name == "gpu-agents"
    entry = app.conf.beat_schedule["inventory: dispatch due syncs"]
    assert entry["task"] == "inventory.dispatch_due_syncs"
    assert entry["options"]["queue"] == "inventory"


def test_the_portal_celery_app_names_no_app():
    text = (ROOT / "portal" / "celery.py").read_text(encoding="utf-8")
    code = text.split('"""', 2)[2]  # past the docstring, which may give examples
    for app_name in ("inventory", "procedures", "knowledge", "data", "skills"):
        assert f'"{app_name}' not in code


def test_a_queue_or_route_registered_twice_raises():
    with pytest.raises(DuplicateRegistration):
        queue_add(Queue("inventory"))
    with pytest.raises(DuplicateRegistration):
        route_add("inventory.*", "default")
