"""Each finding rule: it fires on the situation it names and stays quiet otherwise."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.choices import SourceKind, SyncStatus
from inventory.findings import PROCEDURE_URL, findings_compute
from inventory.models import Gpu, InventorySource, SyncRun
from inventory.reconcile import reconcile
from inventory.sources.facts import MigDeviceFacts, Snapshot

from .builders import cluster_snapshot, gpu, make_cluster, node

pytestmark = pytest.mark.django_db


def sync(cluster, snapshot, at=None):
    run = SyncRun(
        cluster=cluster,
        source_kind="kubernetes",
        status=SyncStatus.SUCCEEDED,
        started_at=at or timezone.now(),
    )
    reconcile(cluster=cluster, snapshot=snapshot, run=run)


def snapshot_of(nodes, gpus=()):
    return Snapshot(
        source="test",
        nodes=list(nodes),
        gpus=list(gpus),
        covers=frozenset({"nodes", "gpus"}),
        gpu_nodes=frozenset(n.name for n in nodes),
    )


def codes(**kwargs):
    return sorted({f.code for f in findings_compute(**kwargs)})


def test_a_healthy_cluster_has_no_findings():
    cluster = make_cluster()
    sync(cluster, cluster_snapshot(2, gpus_per_node=8))
    assert codes() == []


def test_gpus_not_exposed_to_kubernetes():
    cluster = make_cluster()
    sick = node("gpu-1", gpu_allocatable=0, gpu_capacity=0, allocatable={"cpu": "96"})
    sync(cluster, snapshot_of([sick], [gpu("gpu-1", i) for i in range(8)]))
    [finding] = findings_compute()
    assert finding.code == "gpu_not_exposed" and finding.severity == "critical"
    assert "gpu-1" in finding.message and finding.procedure_url == PROCEDURE_URL
    assert finding.url.startswith("/inventory/nodes/")


def test_gpu_node_without_nvidia_labels():
    cluster = make_cluster()
    bare = node("gpu-1", labels={}, gpu_labels_present=False, gpu_product="", gpu_count_label=None)
    bare = dataclasses.replace(bare, labels={"kubernetes.io/hostname": "gpu-1"})
    sync(cluster, snapshot_of([bare], [gpu("gpu-1", i) for i in range(8)]))
    assert codes() == ["gpu_labels_missing"]


def test_different_driver_versions():
    cluster = make_cluster()
    gpus = [gpu("gpu-0", i) for i in range(8)] + [
        gpu("gpu-1", i, driver_version="550.54.15") for i in range(8)
    ]
    sync(cluster, snapshot_of([node("gpu-0"), node("gpu-1")], gpus))
    [finding] = findings_compute()
    assert finding.code == "driver_drift"
    assert "535.54.03 (8)" in finding.message and "550.54.15 (8)" in finding.message


def test_not_ready_nodes():
    cluster = make_cluster()
    sync(cluster, snapshot_of([node("cpu-1", gpus=0, ready=False)]))
    assert codes() == ["node_not_ready"]


def test_gpus_idle_for_long():
    cluster = make_cluster()
    long_ago = timezone.now() - timedelta(hours=30)
    gpus = [gpu("gpu-0", i) for i in range(8)]
    gpus[3] = dataclasses.replace(gpus[3], utilization_gpu_pct=0.0)
    sync(cluster, snapshot_of([node("gpu-0")], gpus), at=long_ago)
    [finding] = findings_compute()
    assert finding.code == "gpu_idle" and "GPU 3 on gpu-0" in finding.message
    Gpu.objects.filter(index=3).update(idle_since=timezone.now() - timedelta(hours=1))
    assert codes() == []


def test_fewer_than_8_vcpu_per_gpu():
    cluster = make_cluster()
    sync(cluster, snapshot_of([node("gpu-0", cpu=32)], [gpu("gpu-0", i) for i in range(8)]))
    [finding] = findings_compute()
    assert finding.code == "low_cpu_per_gpu" and "4.0 per GPU" in finding.message


@pytest.mark.parametrize(
    "labels,mig_mode,devices,expected",
    [
        ({"nvidia.com/mig.config": "all-1g.10gb"}, "Disabled", (), True),
        ({"nvidia.com/mig.config": "all-disabled"}, "Enabled", ("1g.10gb",), True),
        ({"nvidia.com/mig.config": "all-1g.10gb"}, "Enabled", ("3g.40gb",), True),
        ({"nvidia.com/mig.config.state": "failed"}, "Disabled", (), True),
        ({"nvidia.com/mig.config": "all-1g.10gb"}, "Enabled", ("1g.10gb",), False),
        ({"nvidia.com/mig.config": "all-disabled"}, "Disabled", (), False),
    ],
)
def test_mig_configured_differently_from_its_labels(labels, mig_mode, devices, expected):
    cluster = make_cluster()
    n = node("gpu-0", gpus=1, cpu=16, labels=labels)
    g = gpu(
        "gpu-0",
        0,
        mig_mode=mig_mode,
        mig_devices=tuple(MigDeviceFacts(index=i, profile=p) for i, p in enumerate(devices)),
    )
    sync(cluster, snapshot_of([n], [g]))
    assert (codes() == ["mig_mismatch"]) is expected, findings_compute()


def test_mig_strategy_label_without_mig_enabled():
    cluster = make_cluster()
    n = node("gpu-0", gpus=1, cpu=16, mig_strategy_label="single")
    sync(cluster, snapshot_of([n], [gpu("gpu-0", 0)]))
    assert codes() == ["mig_mismatch"]


def test_stale_and_failing_sources():
    cluster = make_cluster()
    source = InventorySource.objects.create(
        cluster=cluster, name="api", kind=SourceKind.KUBERNETES, config={"in_cluster": True}
    )
    now = timezone.now()
    SyncRun.objects.create(
        cluster=cluster, source=source, source_kind=source.kind,
        status=SyncStatus.SUCCEEDED, started_at=now - timedelta(minutes=1),
    )  # fmt: skip
    assert codes() == []
    SyncRun.objects.create(
        cluster=cluster, source=source, source_kind=source.kind,
        status=SyncStatus.FAILED, started_at=now, error="HTTP 500 boom",
    )  # fmt: skip
    [finding] = findings_compute()
    assert finding.code == "stale_source" and "HTTP 500 boom" in finding.message
    SyncRun.objects.all().delete()
    SyncRun.objects.create(
        cluster=cluster, source=source, source_kind=source.kind,
        status=SyncStatus.SUCCEEDED, started_at=now - timedelta(hours=1),
    )  # fmt: skip
    assert codes() == ["stale_source"]


def test_a_silent_gpu_agent():
    cluster = make_cluster()
    agents = InventorySource.objects.create(
        cluster=cluster, name="agents", kind=SourceKind.GPU_AGENT, sync_interval_seconds=60
    )
    sync(cluster, snapshot_of([node("gpu-0"), node("gpu-1")], [gpu("gpu-0", 0)]))
    now = timezone.now()
    for name, age in (("gpu-0", 30), ("gpu-1", 3600)):
        SyncRun.objects.create(
            cluster=cluster, source=agents, source_kind=agents.kind, scope=name,
            status=SyncStatus.SUCCEEDED, started_at=now - timedelta(seconds=age),
        )  # fmt: skip
    silent = [f for f in findings_compute() if f.code == "agent_silent"]
    assert [f.object_label for f in silent] == ["gpu-1"]
    assert Gpu.objects.present().count() == 1  # nothing was removed for it


def test_findings_take_the_same_queries_for_10_and_200_nodes():
    counts = []
    for size in (10, 200):
        cluster = make_cluster(f"c{size}")
        InventorySource.objects.create(cluster=cluster, name="a", kind=SourceKind.GPU_AGENT)
        snapshot = cluster_snapshot(size, gpus_per_node=1)
        snapshot.nodes[0] = dataclasses.replace(snapshot.nodes[0], ready=False)
        sync(cluster, snapshot)
        with CaptureQueriesContext(connection) as ctx:
            findings_compute(cluster_id=cluster.pk)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_findings_are_published_to_prometheus(client):
    cluster = make_cluster()
    sync(cluster, snapshot_of([node("cpu-1", gpus=0, ready=False)]))
    body = client.get("/metrics").content.decode()
    assert 'portal_inventory_findings{severity="critical"} 1.0' in body


def test_driver_drift_from_labels_with_no_gpu_agent():
    # Only the Kubernetes source: GFD's cuda.driver.major/minor/rev labels are the truth.
    cluster = make_cluster()
    old = node("gpu-0", driver_version_label="535.54.03")
    new = node("gpu-1", driver_version_label="550.54.15")
    sync(cluster, snapshot_of([old, new, node("gpu-2", driver_version_label="550.54.15")]))
    [finding] = [f for f in findings_compute() if f.code == "driver_drift"]
    assert "535.54.03 (1 node(s) by their labels)" in finding.message
    assert "550.54.15 (2 node(s) by their labels)" in finding.message


def test_a_node_with_gpu_reports_counts_its_gpus_driver_not_its_label():
    cluster = make_cluster()
    nodes = [node("gpu-0", driver_version_label="535.54.03"), node("gpu-1")]
    sync(cluster, snapshot_of(nodes, [gpu("gpu-0", 0, driver_version="550.54.15")]))
    assert codes() == []


def test_mig_labels_without_any_gpu_report_say_so():
    cluster = make_cluster()
    n = node("gpu-0", gpus=1, cpu=16, mig_devices_label={"1g.10gb": 7})
    sync(cluster, snapshot_of([n]))
    [finding] = findings_compute()
    assert finding.code == "mig_unverified"
    assert "no GPU report exists" in finding.message and "the GPUs have" not in finding.message


def test_findings_are_paginated_and_counted_once_per_sync(client_for, carol):
    cluster = make_cluster()
    sync(cluster, snapshot_of([node(f"cpu-{i:03d}", gpus=0, ready=False) for i in range(60)]))
    client = client_for(carol)
    first = client.get("/inventory/findings/").content.decode()
    assert first.count("is NotReady") == 50 and "Page 1 of 2" in first
    second = client.get("/inventory/findings/", {"page": 2}).content.decode()
    assert second.count("is NotReady") == 10
    assert "Critical: 60" in second
    # No sync since: the summary is not recomputed (the count comes from the cache).
    from inventory.models import Node

    Node.objects.filter(name="cpu-000").update(ready=True)
    assert "Critical: 60" in client.get("/inventory/findings/").content.decode()
    sync(cluster, snapshot_of([node(f"cpu-{i:03d}", gpus=0, ready=i > 0) for i in range(60)]))
    assert "Critical: 1" in client.get("/inventory/findings/").content.decode()


def test_a_rule_is_registered_once():
    from inventory.findings import RULES, register_rule

    with pytest.raises(ValueError, match="twice"):
        register_rule(RULES["node_not_ready"])


def test_counts_outlive_new_runs_for_a_few_seconds_under_a_busy_watch(settings):
    from inventory.findings import Scope, findings_counts

    settings.INVENTORY_FIGURES_MIN_SECONDS = 60
    cluster = make_cluster()
    sync(cluster, snapshot_of([node("cpu-0", gpus=0, ready=False)]))
    assert findings_counts(Scope())["node_not_ready"] == 1
    sync(
        cluster,
        snapshot_of([node("cpu-0", gpus=0, ready=False), node("cpu-1", gpus=0, ready=False)]),
    )
    assert findings_counts(Scope())["node_not_ready"] == 1  # recomputed at most once a minute
    settings.INVENTORY_FIGURES_MIN_SECONDS = 0
    assert findings_counts(Scope())["node_not_ready"] == 2
