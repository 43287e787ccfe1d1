"""The GPU usage history: each sync adds one sample to every node's hour, in one
statement whatever the node count, and the prune keeps it bounded."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.choices import SyncStatus
from inventory.demo import generate
from inventory.models import Gpu, GpuUsageSample, Node, SyncRun
from inventory.reconcile import reconcile
from inventory.sources.dcgm import parse_dcgm_metrics
from inventory.sources.facts import Snapshot
from inventory.sources.files import FileSource

from .builders import cluster_snapshot, make_cluster, node

pytestmark = pytest.mark.django_db

DEMO = Path(generate.__file__).resolve().parent / "cluster"
DCGM = (
    Path(__file__).resolve().parent.parent / "fixtures" / "dcgm" / "datadog__dcgm_serve_metrics.txt"
)
HOUR = datetime(2026, 11, 30, 14, tzinfo=UTC)


def sync(cluster, snapshot, at, kind="kubernetes"):
    run = SyncRun(cluster=cluster, source_kind=kind, status=SyncStatus.SUCCEEDED, started_at=at)
    reconcile(cluster=cluster, snapshot=snapshot, run=run)
    return run


def samples_by_node():
    return {s.node.name: s for s in GpuUsageSample.objects.select_related("node")}


def test_a_sync_of_the_demo_files_samples_every_gpu_node_once():
    cluster = make_cluster()
    snapshot = FileSource(DEMO).read()
    sync(cluster, snapshot, HOUR + timedelta(minutes=7), kind="files")

    rows = samples_by_node()
    gpu_nodes = {n.name for n in snapshot.nodes if n.gpu_capacity} | set(snapshot.gpu_nodes)
    assert set(rows) == gpu_nodes and "cpu-01" not in rows
    facts = {n.name: n for n in snapshot.nodes}
    for name, row in rows.items():
        assert row.bucket_start == HOUR and row.samples == 1
        assert row.gpu_requested == facts[name].gpu_requested
        assert row.gpu_allocatable == facts[name].gpu_allocatable
        utils = [
            g.utilization_gpu_pct
            for g in snapshot.gpus
            if g.node_name == name and g.utilization_gpu_pct is not None
        ]
        assert row.utilization_pct == (pytest.approx(mean(utils)) if utils else None)
        assert row.product == next(g.product for g in snapshot.gpus if g.node_name == name)
    assert rows["dgx-a100-01"].memory_used_mib == sum(
        g.memory_used_mib for g in snapshot.gpus if g.node_name == "dgx-a100-01"
    )


def test_two_syncs_in_one_hour_make_one_row_with_the_mean():
    cluster = make_cluster()
    snapshot = cluster_snapshot(2, gpus_per_node=4)
    sync(cluster, snapshot, HOUR + timedelta(minutes=1))
    busier = dataclasses.replace(
        snapshot,
        nodes=[dataclasses.replace(n, gpu_requested=3) for n in snapshot.nodes],
        gpus=[dataclasses.replace(g, utilization_gpu_pct=90.0) for g in snapshot.gpus],
    )
    sync(cluster, busier, HOUR + timedelta(minutes=59))

    assert GpuUsageSample.objects.count() == 2
    for row in GpuUsageSample.objects.all():
        assert row.samples == 2
        assert row.gpu_requested == pytest.approx((0 + 3) / 2)
        assert row.utilization_pct == pytest.approx((50 + 90) / 2)
        assert row.gpu_allocatable == 4

    sync(cluster, busier, HOUR + timedelta(hours=1))
    assert GpuUsageSample.objects.count() == 4
    assert GpuUsageSample.objects.filter(bucket_start=HOUR + timedelta(hours=1)).count() == 2


def test_dcgm_metrics_after_a_gpu_report_move_the_hours_utilisation():
    cluster = make_cluster()
    scraped = parse_dcgm_metrics(DCGM.read_text())
    names = sorted({g.node_name for g in scraped})
    nodes = [node(name, gpus=len([g for g in scraped if g.node_name == name])) for name in names]
    sync(cluster, Snapshot(source="k8s", nodes=nodes, covers=frozenset({"nodes"})), HOUR)
    reported = [dataclasses.replace(g, utilization_gpu_pct=80.0) for g in scraped]
    agent = Snapshot(
        source="agent", gpus=reported, covers=frozenset({"gpus"}), gpu_nodes=frozenset(names)
    )
    sync(cluster, agent, HOUR + timedelta(minutes=5), kind="gpu_agent")
    metrics = Snapshot(source="dcgm", gpus=scraped, covers=frozenset({"gpu_metrics"}))
    sync(cluster, metrics, HOUR + timedelta(minutes=10), kind="dcgm")

    for name, row in samples_by_node().items():
        # The node read alone (no GPUs yet), then the agent's 80 %, then DCGM's values
        # (a GPU the exporter gives no utilisation for keeps the agent's).
        assert row.samples == 3 and row.utilization_samples == 2
        now = mean(
            80.0 if g.utilization_gpu_pct is None else g.utilization_gpu_pct
            for g in scraped
            if g.node_name == name
        )
        assert row.utilization_pct == pytest.approx((80.0 + now) / 2)


def test_a_gpu_report_samples_its_own_node_only():
    cluster = make_cluster()
    snapshot = cluster_snapshot(3, gpus_per_node=2)
    sync(cluster, snapshot, HOUR)
    one = [g for g in snapshot.gpus if g.node_name == "gpu-00001"]
    report = Snapshot(
        source="agent", gpus=one, covers=frozenset({"gpus"}), gpu_nodes=frozenset({"gpu-00001"})
    )
    sync(cluster, report, HOUR + timedelta(minutes=3), kind="gpu_agent")
    assert {n: r.samples for n, r in samples_by_node().items()} == {
        "gpu-00000": 1,
        "gpu-00001": 2,
        "gpu-00002": 1,
    }


def test_a_watch_batch_and_a_gone_node_add_no_sample():
    cluster = make_cluster()
    snapshot = cluster_snapshot(2, gpus_per_node=1)
    sync(cluster, snapshot, HOUR)
    watched = Snapshot(source="watch", nodes=[dataclasses.replace(snapshot.nodes[0], ready=False)])
    sync(cluster, watched, HOUR + timedelta(minutes=1))
    assert set(GpuUsageSample.objects.values_list("samples", flat=True)) == {1}

    Node.objects.filter(name="gpu-00000").update(gone_at=HOUR)
    Gpu.objects.filter(node_name="gpu-00000").update(gone_at=HOUR)
    metrics = dataclasses.replace(snapshot, nodes=[], covers=frozenset({"gpu_metrics"}))
    sync(cluster, metrics, HOUR)
    assert {n: r.samples for n, r in samples_by_node().items()} == {"gpu-00000": 1, "gpu-00001": 2}


@pytest.mark.parametrize("scope", ["cluster", "gpu report"])
def test_the_sample_is_one_statement_at_any_size(scope):
    statements = []
    for size in (10, 200):
        cluster = make_cluster(f"c{size}")
        snapshot = cluster_snapshot(size, gpus_per_node=2)
        sync(cluster, snapshot, HOUR)
        if scope == "gpu report":
            snapshot = dataclasses.replace(snapshot, nodes=[], covers=frozenset({"gpus"}))
        with CaptureQueriesContext(connection) as ctx:
            sync(cluster, snapshot, HOUR + timedelta(minutes=5))
        statements.append(
            [q["sql"] for q in ctx.captured_queries if "inventory_gpuusagesample" in q["sql"]]
        )
        assert GpuUsageSample.objects.filter(cluster=cluster, samples=2).count() == size
    assert [len(s) for s in statements] == [1, 1]


def test_the_prune_task_removes_hours_past_the_retention(settings):
    from inventory.tasks import prune_sync_runs

    settings.INVENTORY_USAGE_RETENTION_DAYS = 8
    cluster = make_cluster()
    snapshot = cluster_snapshot(1, gpus_per_node=1)
    now = datetime.now(UTC)
    for days in (9, 8.5, 7.9, 0):
        sync(cluster, snapshot, now - timedelta(days=days))
    prune_sync_runs()
    kept = sorted(GpuUsageSample.objects.values_list("bucket_start", flat=True))
    assert len(kept) == 2 and min(kept) > now - timedelta(days=8)
