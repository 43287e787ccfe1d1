"""The platform map: seven elements, the data and networks panels made of tagged
records, a panel cache, and a page whose cost does not grow with the data."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.elements import ELEMENT_ORDER
from portal.home import cached_panel, tagged_records
from tests.portal.publishing import publish, tasks_run_in_place  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tagged(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publish(alice, bob, title="Dataset versioning", slug="dvc", body="DVC.", elements=["data"])
        publish(
            alice,
            bob,
            title="Feature store access",
            slug="feast",
            body="Feast.",
            elements=["data", "networks"],
        )
        publish(alice, bob, title="GPU quotas", slug="gpu", body="Quotas.", elements=["hardware"])


def test_the_map_shows_the_seven_elements_in_order(client_for, carol):
    body = client_for(carol).get("/").content.decode()
    positions = [body.index(f'id="element-{code}"') for code in ELEMENT_ORDER]
    assert positions == sorted(positions)


def test_data_and_networks_count_what_is_tagged_with_them(tagged):
    data = tagged_records("data")
    assert data["total"] == 2
    assert data["kinds"] == [
        {"label": "Procedures", "count": 2, "url": "/search/?element=data&kind=procedure"}
    ]
    assert [r["title"] for r in data["recent"]] == ["Feature store access", "Dataset versioning"]
    networks = tagged_records("networks")
    assert networks["total"] == 1 and networks["recent"][0]["url"] == "/procedures/feast/"


def test_the_panels_figures_appear_on_the_page_and_link_to_the_lists(client_for, carol, tagged):
    client = client_for(carol)
    body = client.get("/").content.decode()
    data_panel = body[body.index('id="element-data"') : body.index('id="element-networks"')]
    assert 'href="/search/?element=data&amp;kind=procedure">2<' in data_panel
    listed = client.get("/search/", {"element": "data", "kind": "procedure"}).content.decode()
    assert "Dataset versioning" in listed and "Feature store access" in listed
    assert "GPU quotas" not in listed


def test_a_cached_panel_is_built_once_per_audience(rf, alice, bob):
    calls = []

    def build():
        calls.append(1)
        return {"n": len(calls)}

    first, second = rf.get("/"), rf.get("/")
    first.user, second.user = alice, bob
    assert cached_panel("t", 60, build, request=first, per="user") == {"n": 1}
    assert cached_panel("t", 60, build, request=first, per="user") == {"n": 1}
    assert cached_panel("t", 60, build, request=second, per="user") == {"n": 2}
    assert cached_panel("t", 60, build, request=first, per="roles") == {"n": 3}
    with pytest.raises(ValueError):
        cached_panel("t", 60, build, per="team")


def _home_queries(client) -> int:
    cache.clear()  # measure the uncached page: the cache must not hide an N+1
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _grow(alice, bob, start: int, stop: int) -> None:
    from knowledge.services.adr import adr_create
    from portal.search import search_reindex_all

    for i in range(start, stop):
        publish(
            alice,
            bob,
            title=f"Procedure {i}",
            slug=f"procedure-{i}",
            body="Body.",
            elements=["data", "networks", "procedures"],
        )
        adr_create(actor=alice, title=f"Decision {i}", context="Why.", elements=["data"])
    search_reindex_all()


def _sync_nodes(cluster, n: int) -> None:
    from django.utils import timezone

    from inventory.choices import SyncStatus
    from inventory.models import SyncRun
    from inventory.reconcile import reconcile
    from tests.inventory.builders import cluster_snapshot

    run = SyncRun(
        cluster=cluster,
        source_kind="kubernetes",
        status=SyncStatus.SUCCEEDED,
        started_at=timezone.now(),
    )
    reconcile(cluster=cluster, snapshot=cluster_snapshot(n, gpus_per_node=4), run=run)


def test_the_home_page_costs_the_same_queries_as_data_grows(client_for, alice, bob, carol, dave):
    from tests.inventory.builders import make_cluster

    cluster = make_cluster()
    _grow(alice, bob, 0, 2)
    _sync_nodes(cluster, 2)
    viewer, admin = client_for(carol), client_for(dave)
    small = {"carol": _home_queries(viewer), "dave": _home_queries(admin)}
    _grow(alice, bob, 2, 12)
    _sync_nodes(cluster, 20)
    assert {"carol": _home_queries(viewer), "dave": _home_queries(admin)} == small


def test_a_cached_home_page_costs_fewer_queries(client_for, carol, tagged):
    client = client_for(carol)
    uncached = _home_queries(client)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/")
    assert len(ctx.captured_queries) < uncached
