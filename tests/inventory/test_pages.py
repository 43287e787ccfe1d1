"""The inventory pages: who sees them, what they show, and a number of queries that
does not grow with the cluster."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.choices import SyncStatus
from inventory.models import InventorySource, Node, SyncRun
from inventory.reconcile import reconcile

from .builders import grow, make_cluster

pytestmark = pytest.mark.django_db

PAGES = [
    "inventory:overview",
    "inventory:node-list",
    "inventory:gpu-list",
    "inventory:component-list",
    "inventory:change-list",
    "inventory:syncrun-list",
    "inventory:findings",
]


@pytest.mark.parametrize("page", PAGES)
def test_viewers_see_the_page(client_for, carol, page):
    grow("prod", 3)
    response = client_for(carol).get(reverse(page))
    assert response.status_code == 200


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(reverse("inventory:overview"))
    assert response.status_code == 302


def test_htmx_refresh_gets_the_partial_only(client_for, carol):
    grow("prod", 2)
    response = client_for(carol).get(reverse("inventory:overview"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<html" not in body and "GPUs by model" in body


def test_node_page_shows_gpus_labels_and_changes(client_for, carol):
    grow("prod", 1)
    node = Node.objects.get()
    body = client_for(carol).get(reverse("inventory:node-detail", args=[node.pk])).content.decode()
    assert "NVIDIA A100-SXM4-80GB" in body
    assert "nvidia.com/gpu.product=NVIDIA-A100-SXM4-80GB" in body
    assert "Added" in body


def test_a_demo_cluster_is_labelled_as_such(client_for, carol):
    cluster = grow("demo (sample data)", 1)
    cluster.is_demo = True
    cluster.save()
    body = client_for(carol).get(reverse("inventory:overview")).content.decode()
    assert "is a demo cluster" in body


def test_sync_now_is_for_admins(client_for, carol, dave):
    cluster = grow("prod", 1)
    url = reverse("inventory:cluster-sync", args=[cluster.pk])
    assert client_for(carol).post(url).status_code == 403
    assert client_for(dave).post(url).status_code == 302


def test_the_capacity_advisor_refuses_bad_input(client_for, carol):
    response = client_for(carol).get(reverse("inventory:capacity"), {"model_gb": "-1"})
    assert response.status_code == 400


@pytest.mark.parametrize("page", [*PAGES, "inventory:capacity", "home"])
def test_queries_do_not_grow_with_the_cluster(client_for, carol, page):
    counts = []
    params = (
        {"model_gb": 10, "batch_gb": 4, "dataset_gb": 10, "gpu_count": 1}
        if page == "inventory:capacity"
        else {}
    )
    client = client_for(carol)
    client.get(reverse(page), params)  # sessions, roles and caches filled once
    for size in (10, 200):
        grow(f"c{size}", size, gpus_per_node=1)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(page), params).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_overview_reads_the_sources_once(client_for, carol):
    # The figures and the findings both need the sources with their last runs (five
    # subqueries each); the page hands the figures' rows to the findings.
    grow("prod", 3)
    client = client_for(carol)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("inventory:overview")).status_code == 200
    reads = [q for q in ctx.captured_queries if 'FROM "inventory_inventorysource"' in q["sql"]]
    assert len(reads) == 1, [q["sql"] for q in reads]


def test_node_page_queries_do_not_grow_with_history(client_for, carol):
    cluster = grow("prod", 1)
    node = Node.objects.get(cluster=cluster)
    client = client_for(carol)
    counts = []
    for round_ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("inventory:node-detail", args=[node.pk]))
        counts.append(len(ctx.captured_queries))
        grow(f"more{round_}", 20)
    assert counts[0] == counts[1]


def test_the_overview_counts_gpus_kubernetes_does_not_offer():
    from inventory.selectors import hardware_panel, inventory_overview
    from inventory.sources.facts import Snapshot

    from .builders import gpu, node

    cluster = make_cluster()
    nodes = [node("ok", gpus=2), node("sick", gpus=2, gpu_allocatable=0)]
    snapshot = Snapshot(
        source="t",
        nodes=nodes,
        gpus=[gpu(n.name, i) for n in nodes for i in range(2)],
        covers=frozenset({"nodes", "gpus"}),
        gpu_nodes=frozenset({"ok", "sick"}),
    )
    run = SyncRun(
        cluster=cluster, source_kind="k", status=SyncStatus.SUCCEEDED, started_at=timezone.now()
    )
    reconcile(cluster=cluster, snapshot=snapshot, run=run)
    overview = inventory_overview()
    assert (overview.gpus_total, overview.gpus_not_exposed, overview.gpus_free) == (4, 2, 2)
    assert hardware_panel()["not_exposed"] == 2


def test_components_are_counted_by_category_on_the_overview_and_home():
    from inventory.selectors import inventory_overview, software_panel
    from inventory.sources.facts import Snapshot

    from .builders import component

    snapshot = Snapshot(
        source="t",
        components=[component("A"), component("B"), component("C", category="auxiliary")],
        covers=frozenset({"components"}),
    )
    cluster = make_cluster()
    run = SyncRun(
        cluster=cluster, source_kind="k", status=SyncStatus.SUCCEEDED, started_at=timezone.now()
    )
    reconcile(cluster=cluster, snapshot=snapshot, run=run)
    expected = [
        {"category": "auxiliary", "count": 1, "label": "Auxiliary"},
        {"category": "ml", "count": 2, "label": "ML"},
    ]
    rows = inventory_overview(cluster_id=cluster.pk).components_by_category
    assert [{**r, "label": str(r["label"])} for r in rows] == expected
    rows = software_panel()["by_category"]
    assert [{**r, "label": str(r["label"])} for r in rows] == expected


def test_a_failed_source_shows_as_stale_with_its_error(client_for, carol):
    cluster = grow("prod", 1)
    source = InventorySource.objects.get(cluster=cluster)
    SyncRun.objects.create(
        cluster=cluster, source=source, source_kind=source.kind, status=SyncStatus.FAILED,
        started_at=timezone.now(), error="SourceError: Kubernetes API timed out after 30s",
    )  # fmt: skip
    body = client_for(carol).get(reverse("inventory:overview")).content.decode()
    assert 'class="badge bad">stale' in body
    assert "Kubernetes API timed out after 30s" in body
    assert Node.objects.filter(cluster=cluster).count() == 1  # the last good data stays


def test_the_home_page_has_hardware_and_software_panels(client_for, carol):
    grow("prod", 2)
    body = client_for(carol).get(reverse("home")).content.decode()
    assert "not exposed to Kubernetes" in body
    assert "inventory changes this week" in body


def test_the_component_and_gpu_lists_filter_by_name_and_uuid(client_for, carol):
    from tests.inventory.builders import component, gpu, make_cluster, node
    from tests.portal.test_search_kinds import _snapshot, _sync

    cluster = make_cluster("prod")
    _sync(
        cluster,
        _snapshot(
            nodes=[node("gpu-01", gpus=1)],
            gpus=[gpu("gpu-01", 0)],
            components=[component("MLflow"), component("Grafana", category="auxiliary")],
        ),
    )
    client = client_for(carol)
    html = client.get("/inventory/components/", {"q": "mlfl"}).content.decode()
    assert "MLflow" in html and "Grafana" not in html
    from inventory.models import Gpu

    uuid = Gpu.objects.get().uuid
    assert uuid in client.get("/inventory/gpus/", {"uuid": uuid[-6:]}).content.decode()
    assert uuid not in client.get("/inventory/gpus/", {"uuid": "no-such"}).content.decode()


def test_the_capacity_page_lists_fits_and_the_nodes_left_out(client_for, carol):
    grow("prod", 3, gpus_per_node=2)
    Node.objects.filter(name="gpu-00001").update(ready=False)
    body = (
        client_for(carol)
        .get(
            reverse("inventory:capacity"),
            {"model_gb": 20, "batch_gb": 4, "dataset_gb": 10, "gpu_count": 2},
        )
        .content.decode()
    )
    assert "2 nodes fit." in body and "gpu-00000" in body
    assert "Nodes left out" in body and "not ready" in body
