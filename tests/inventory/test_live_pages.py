"""Pages show inventory changes without a reload: a cheap "last change" check that
moves only when something was written, and a browser that re-renders on it."""

from __future__ import annotations

import os

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.choices import SourceKind, SyncStatus
from inventory.models import InventorySource, SyncRun
from inventory.reconcile import reconcile
from inventory.sources.facts import Snapshot
from tests.knowledge.conftest import page_for  # noqa: F401 - registers the fixture

from .builders import grow, node

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # page_for: the ORM inside Playwright's loop

URL = reverse("inventory:last-change")


def apply(cluster, *nodes) -> None:
    source = InventorySource.objects.get(cluster=cluster, kind=SourceKind.KUBERNETES)
    run = SyncRun(
        cluster=cluster,
        source=source,
        source_kind=SourceKind.KUBERNETES,
        status=SyncStatus.SUCCEEDED,
        started_at=timezone.now(),
    )
    reconcile(cluster=cluster, snapshot=Snapshot(source="kubernetes", nodes=list(nodes)), run=run)


@pytest.mark.django_db
def test_the_check_moves_only_when_something_was_written(client_for, carol):
    cluster = grow("prod", 3)
    client = client_for(carol)
    first = client.get(URL)
    assert first.status_code == 200
    token = first.json()["token"]
    assert client.get(URL).json()["token"] == token  # nothing happened

    unchanged = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert unchanged.status_code == 304 and unchanged.content == b""

    apply(cluster, node("gpu-00001", gpus=2, labels={"team": "llm"}))
    moved = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert moved.status_code == 200
    assert moved.json()["token"] != token


@pytest.mark.django_db
def test_the_check_costs_the_same_at_any_size(client_for, carol):
    client = client_for(carol)
    grow("small", 2)
    client.get(URL)
    with CaptureQueriesContext(connection) as small:
        client.get(URL)
    grow("large", 300)
    with CaptureQueriesContext(connection) as large:
        client.get(URL)
    assert len(large) == len(small)


@pytest.mark.django_db
def test_the_check_is_for_signed_in_readers(client):
    assert client.get(URL).status_code == 302


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_node_list_shows_a_new_node_without_a_reload(live_server, page_for, carol):  # noqa: F811
    from playwright.sync_api import expect

    cluster = grow("prod", 2)
    page = page_for(carol)
    page.goto(f"{live_server.url}{reverse('inventory:node-list')}")
    expect(page.get_by_text("gpu-00001")).to_be_visible()
    page.evaluate("window.__notReloaded = true")
    apply(cluster, node("arrived-live", gpus=2))
    expect(page.get_by_text("arrived-live")).to_be_visible(timeout=15_000)
    assert page.evaluate("window.__notReloaded") is True
