"""The inventory API: reads for viewers with filters, writes for admins only, clear
4xx answers, and lists whose query count does not grow with the cluster."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.choices import SourceKind
from inventory.models import InventorySource, Node
from portal.models import AuditEvent

from .builders import grow, make_cluster

pytestmark = pytest.mark.django_db

LISTS = ["clusters", "sources", "nodes", "gpus", "components", "changes", "sync-runs", "findings"]


@pytest.mark.parametrize("name", LISTS)
def test_viewers_read_every_list(api_for, carol, name):
    grow("prod", 2, gpus_per_node=1)
    response = api_for(carol).get(f"/api/v1/inventory/{name}/")
    assert response.status_code == 200, response.content


def test_nobody_reads_without_signing_in(api_for):
    assert api_for(None).get("/api/v1/inventory/nodes/").status_code in (401, 403)


def test_filters_by_cluster_product_node_and_gone(api_for, carol):
    prod = grow("prod", 3, gpus_per_node=2)
    grow("lab", 2, gpus_per_node=1)
    Node.objects.filter(name="gpu-00002", cluster=prod).update(gone_at=timezone.now())
    api = api_for(carol)
    nodes = api.get("/api/v1/inventory/nodes/", {"cluster": prod.pk}).json()
    assert nodes["count"] == 3
    gone = api.get("/api/v1/inventory/nodes/", {"cluster": prod.pk, "gone": "true"}).json()
    assert [n["name"] for n in gone["results"]] == ["gpu-00002"]
    present = api.get("/api/v1/inventory/nodes/", {"cluster": prod.pk, "gone": "false"}).json()
    assert present["count"] == 2
    gpus = api.get(
        "/api/v1/inventory/gpus/", {"cluster": prod.pk, "node": "gpu-00001", "product": "a100"}
    ).json()
    assert gpus["count"] == 2
    changes = api.get("/api/v1/inventory/changes/", {"cluster": prod.pk, "kind": "gpu"}).json()
    assert changes["count"] == 6


def test_sources_are_written_by_admins_only(api_for, carol, dave):
    cluster = make_cluster()
    cluster.sync_interval_seconds = 120
    cluster.save()
    payload = {
        "cluster": cluster.pk,
        "name": "dcgm",
        "kind": "dcgm",
        "config": {"urls": ["http://10.0.0.5:9400/metrics"]},
    }
    assert (
        api_for(carol).post("/api/v1/inventory/sources/", payload, format="json").status_code == 403
    )
    response = api_for(dave).post("/api/v1/inventory/sources/", payload, format="json")
    assert response.status_code == 201, response.content
    assert AuditEvent.objects.filter(verb="inventory.source_create").count() == 1
    source_id = response.json()["id"]
    assert response.json()["sync_interval_seconds"] == 120  # the cluster's
    response = api_for(dave).patch(
        f"/api/v1/inventory/sources/{source_id}/", {"enabled": False}, format="json"
    )
    assert response.status_code == 200 and response.json()["enabled"] is False
    assert api_for(dave).delete(f"/api/v1/inventory/sources/{source_id}/").status_code == 204


@pytest.mark.parametrize(
    "kind,config",
    [
        ("kubernetes", {"kubeconfig": "/etc/k", "token": "abc"}),
        ("kubernetes", {}),
        ("dcgm", {"urls": ["ftp://x"]}),
        ("files", {"path": ""}),
        ("kubernetes", {"in_cluster": True, "request_timeout": -1}),
        ("nonsense", {}),
        ("files", {"path": "/data\x00"}),
        ("kubernetes", {"kubeconfig": 5}),
        ("files", ["not", "an", "object"]),
    ],
)
def test_bad_source_configuration_is_refused(api_for, dave, kind, config):
    cluster = make_cluster()
    response = api_for(dave).post(
        "/api/v1/inventory/sources/",
        {"cluster": cluster.pk, "name": "x", "kind": kind, "config": config},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert not InventorySource.objects.exists()


def test_the_sync_action_is_for_admins(api_for, carol, dave, django_capture_on_commit_callbacks):
    cluster = make_cluster()
    InventorySource.objects.create(
        cluster=cluster, name="api", kind=SourceKind.KUBERNETES, config={"in_cluster": True}
    )
    url = f"/api/v1/inventory/clusters/{cluster.pk}/sync/"
    assert api_for(carol).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert api_for(dave).post(url).status_code == 202
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(verb="inventory.sync_request").exists()


def test_findings_filter_by_code(api_for, carol):
    cluster = grow("prod", 2, gpus_per_node=1)
    Node.objects.filter(cluster=cluster, name="gpu-00000").update(ready=False)
    page = api_for(carol).get("/api/v1/inventory/findings/", {"code": "node_not_ready"}).json()
    data = page["results"]
    assert page["count"] == 1 and [f["object_label"] for f in data] == ["gpu-00000"]
    assert data[0]["procedure_url"] == "/procedures/infrastructure-usage/"
    unknown = api_for(carol).get("/api/v1/inventory/findings/", {"code": "no_such_rule"})
    assert unknown.status_code == 400
    bad = api_for(carol).get("/api/v1/inventory/findings/", {"cluster": "x"})
    assert bad.status_code == 400


def test_list_queries_do_not_grow_with_the_cluster(api_for, carol):
    api = api_for(carol)
    api.get("/api/v1/inventory/clusters/")  # the roles are read once per user
    counts: dict[str, list[int]] = {name: [] for name in LISTS}
    for size in (10, 200):
        grow(f"c{size}", size, gpus_per_node=1)
        for name in LISTS:
            with CaptureQueriesContext(connection) as ctx:
                response = api.get(f"/api/v1/inventory/{name}/", {"page_size": 500})
                assert response.status_code == 200
            counts[name].append(len(ctx.captured_queries))
    assert all(a == b for a, b in counts.values()), counts


@pytest.mark.parametrize(
    "until", ["4054-01-25T23:21:34.7+23:45", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00+23:00"]
)
def test_far_time_zone_offsets_are_compared_in_utc_not_refused_by_the_database(
    api_for, carol, until
):
    response = api_for(carol).get("/api/v1/inventory/changes/", {"until": until})
    assert response.status_code in (200, 400), response.content


def test_the_changes_page_survives_far_offsets(client_for, carol):
    from django.urls import reverse

    response = client_for(carol).get(
        reverse("inventory:change-list"), {"since": "4054-01-25T23:21:34+23:45"}
    )
    assert response.status_code == 200
