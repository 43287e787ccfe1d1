"""*Sync now* says what it started, or that nothing can run; under `make run` due syncs
run in-process without beat or Redis."""

from __future__ import annotations

import threading

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse

from inventory import scheduler
from inventory.choices import SourceKind, SyncStatus
from inventory.models import InventorySource, SyncRun
from portal.models import AuditEvent

from .builders import make_cluster

pytestmark = pytest.mark.django_db

DEMO = "inventory/demo/cluster"


@pytest.fixture
def eager():
    """Celery runs tasks in the caller, as under `make run` (even where REDIS_URL is set)."""
    from portal.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def files_source(cluster, *, enabled=True, name="demo files"):
    return InventorySource.objects.create(
        cluster=cluster, name=name, kind=SourceKind.FILES, config={"path": DEMO}, enabled=enabled
    )


def test_with_every_source_disabled_nothing_is_queued_and_it_says_so(client_for, dave):
    cluster = make_cluster()
    files_source(cluster, enabled=False)
    response = client_for(dave).post(reverse("inventory:cluster-sync", args=[cluster.pk]))
    [message] = list(get_messages(response.wsgi_request))
    assert "Nothing can run" in str(message) and message.level_tag == "warning"
    assert not SyncRun.objects.exists()
    assert not AuditEvent.objects.filter(verb="inventory.sync_request").exists()


def test_it_names_what_it_started_and_links_the_runs(
    client_for, dave, django_capture_on_commit_callbacks, eager
):
    cluster = make_cluster()
    files_source(cluster)
    files_source(cluster, enabled=False, name="old export")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(dave).post(reverse("inventory:cluster-sync", args=[cluster.pk]))
    [message] = list(get_messages(response.wsgi_request))
    text = str(message)
    assert "demo files" in text and "old export" not in text
    assert f'href="{reverse("inventory:syncrun-list")}?cluster={cluster.pk}"' in text
    # Celery is eager here, as under `make run`: the run it links to exists already.
    [run] = SyncRun.objects.filter(cluster=cluster)
    assert run.status == SyncStatus.SUCCEEDED and run.added > 0


def test_the_api_answers_409_when_nothing_can_run(api_for, dave):
    cluster = make_cluster()
    files_source(cluster, enabled=False)
    response = api_for(dave).post(f"/api/v1/inventory/clusters/{cluster.pk}/sync/")
    assert response.status_code == 409


def test_the_in_process_scheduler_runs_only_where_it_serves():
    with override_settings(INVENTORY_INPROCESS_SYNC=True, CELERY_TASK_ALWAYS_EAGER=True):
        assert scheduler.should_start({"RUN_MAIN": "true"})
        assert not scheduler.should_start({})  # migrate, seed_portal, the reloader parent
    with override_settings(INVENTORY_INPROCESS_SYNC=True, CELERY_TASK_ALWAYS_EAGER=False):
        assert not scheduler.should_start({"RUN_MAIN": "true"})  # beat's job then
    with override_settings(INVENTORY_INPROCESS_SYNC=False, CELERY_TASK_ALWAYS_EAGER=True):
        assert not scheduler.should_start({"RUN_MAIN": "true"})


@pytest.mark.django_db(transaction=True)
def test_a_tick_syncs_the_due_sources_in_this_process(eager):
    cluster = make_cluster()
    source = files_source(cluster)
    result = scheduler.tick_once()
    assert result["clusters"] == [cluster.pk]
    assert SyncRun.objects.filter(source=source, status=SyncStatus.SUCCEEDED).count() == 1
    scheduler.tick_once()  # not due again before its interval
    assert SyncRun.objects.filter(source=source).count() == 1


@pytest.mark.postgres  # a second thread writing: SQLite's shared in-memory test database locks
@pytest.mark.django_db(transaction=True)
def test_the_scheduler_thread_ticks_on_its_own(eager):
    cluster = make_cluster()
    source = files_source(cluster)
    stop = threading.Event()
    scheduler._started.clear()
    thread = scheduler.start(tick=0.2, stop=stop)
    try:
        for _ in range(100):
            if SyncRun.objects.filter(source=source).exists():
                break
            stop.wait(0.1)
    finally:
        stop.set()
        thread.join(10)
        scheduler._started.clear()
    assert SyncRun.objects.filter(source=source, status=SyncStatus.SUCCEEDED).exists()
