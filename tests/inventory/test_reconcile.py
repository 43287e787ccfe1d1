"""The reconciler: every difference recorded once, nothing written when nothing
changed, gone never deleted, and a constant number of queries per sync."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.choices import ChangeKind, SyncStatus
from inventory.models import Component, Gpu, InventoryChange, Node, SyncRun
from inventory.reconcile import reconcile
from inventory.sources.facts import Snapshot

from .builders import cluster_snapshot, gpu, make_cluster, node

pytestmark = pytest.mark.django_db


def run_sync(cluster, snapshot):
    run = SyncRun(
        cluster=cluster,
        source_kind="kubernetes",
        status=SyncStatus.SUCCEEDED,
        started_at=timezone.now(),
    )
    result = reconcile(cluster=cluster, snapshot=snapshot, run=run)
    return run, result


def writes(queries):
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_first_sync_adds_everything_with_one_change_each():
    cluster = make_cluster()
    run, _ = run_sync(cluster, cluster_snapshot(3, gpus_per_node=2, components=2))
    assert Node.objects.count() == 3
    assert Gpu.objects.count() == 6
    assert Component.objects.count() == 2
    assert run.added == 11
    assert InventoryChange.objects.filter(change=ChangeKind.ADDED).count() == 11
    gpu_row = Gpu.objects.get(uuid="GPU-gpu-00000-00")
    assert gpu_row.node.name == "gpu-00000"
    change = InventoryChange.objects.get(object_kind="gpu", object_key=gpu_row.uuid)
    assert change.object_id == gpu_row.pk and change.sync_run == run


def test_unchanged_resync_writes_only_the_syncrun_and_the_usage_sample():
    cluster = make_cluster()
    snapshot = cluster_snapshot(5, gpus_per_node=2)
    run_sync(cluster, snapshot)
    with CaptureQueriesContext(connection) as ctx:
        run, _result = run_sync(cluster, snapshot)
    sql = sorted(writes(ctx.captured_queries))
    assert len(sql) == 2, sql
    assert '"inventory_gpuusagesample"' in sql[0] and "inventory_syncrun" in sql[1]
    assert (run.added, run.changed, run.gone) == (0, 0, 0)


def test_a_changed_field_is_one_change_with_old_and_new():
    cluster = make_cluster()
    snapshot = cluster_snapshot(2, gpus_per_node=1)
    run_sync(cluster, snapshot)
    snapshot.nodes[0] = dataclasses.replace(snapshot.nodes[0], kubelet_version="v1.31.0")
    snapshot.gpus[1] = dataclasses.replace(snapshot.gpus[1], driver_version="550.54.15")
    run, _ = run_sync(cluster, snapshot)
    changes = InventoryChange.objects.filter(change=ChangeKind.CHANGED).order_by("object_kind")
    assert [(c.object_kind, c.field, c.old_value, c.new_value) for c in changes] == [
        ("gpu", "driver_version", "535.54.03", "550.54.15"),
        ("node", "kubelet_version", "v1.30.2", "v1.31.0"),
    ]
    assert run.changed == 2
    assert Node.objects.get(name="gpu-00000").kubelet_version == "v1.31.0"


def test_a_label_change_is_recorded_per_key():
    cluster = make_cluster()
    snapshot = cluster_snapshot(1, gpus_per_node=1)
    run_sync(cluster, snapshot)
    labels = {**snapshot.nodes[0].labels, "team": "vision"}
    snapshot.nodes[0] = dataclasses.replace(snapshot.nodes[0], labels=labels)
    run_sync(cluster, snapshot)
    change = InventoryChange.objects.get(change=ChangeKind.CHANGED)
    assert (change.field, change.old_value, change.new_value) == ("labels.team", None, "vision")


def test_vanished_items_are_marked_gone_not_deleted_and_can_return():
    cluster = make_cluster()
    snapshot = cluster_snapshot(3, gpus_per_node=1)
    run_sync(cluster, snapshot)
    smaller = cluster_snapshot(2, gpus_per_node=1)
    run, _ = run_sync(cluster, smaller)
    gone = Node.objects.get(name="gpu-00002")
    assert gone.gone_at is not None
    assert Gpu.objects.get(uuid="GPU-gpu-00002-00").gone_at is not None
    assert run.gone == 2
    assert InventoryChange.objects.filter(change=ChangeKind.GONE).count() == 2
    run, _ = run_sync(cluster, snapshot)
    gone.refresh_from_db()
    assert gone.gone_at is None
    assert InventoryChange.objects.filter(change=ChangeKind.RETURNED).count() == 2


def test_metrics_update_current_values_without_changes_and_track_idleness():
    cluster = make_cluster()
    snapshot = cluster_snapshot(1, gpus_per_node=1)
    run_sync(cluster, snapshot)
    snapshot.gpus[0] = dataclasses.replace(
        snapshot.gpus[0], utilization_gpu_pct=0.0, temperature_c=33.0, memory_used_mib=10
    )
    run, _ = run_sync(cluster, snapshot)
    row = Gpu.objects.get()
    assert (row.utilization_gpu_pct, row.temperature_c, row.memory_used_mib) == (0.0, 33.0, 10)
    assert row.idle_since is not None
    assert run.metrics_updated == 1 and run.changed == 0
    assert not InventoryChange.objects.filter(change=ChangeKind.CHANGED).exists()
    idle_since = row.idle_since
    run_sync(cluster, snapshot)
    assert Gpu.objects.get().idle_since == idle_since
    snapshot.gpus[0] = dataclasses.replace(snapshot.gpus[0], utilization_gpu_pct=80.0)
    run_sync(cluster, snapshot)
    assert Gpu.objects.get().idle_since is None


def test_only_covered_kinds_are_marked_gone():
    cluster = make_cluster()
    run_sync(cluster, cluster_snapshot(2, gpus_per_node=2))
    # A GPU agent's report for one node covers only that node's GPUs.
    report = Snapshot(
        source="gpu_agent",
        gpus=[gpu("gpu-00000", 0)],
        covers=frozenset({"gpus"}),
        gpu_nodes=frozenset({"gpu-00000"}),
    )
    run, _ = run_sync(cluster, report)
    assert run.gone == 1
    assert list(Gpu.objects.filter(gone_at__isnull=False).values_list("uuid", flat=True)) == [
        "GPU-gpu-00000-01"
    ]
    assert Node.objects.filter(gone_at__isnull=False).count() == 0
    assert Gpu.objects.filter(node_name="gpu-00001", gone_at__isnull=True).count() == 2


def test_metrics_only_snapshot_never_adds_or_removes_gpus():
    cluster = make_cluster()
    run_sync(cluster, cluster_snapshot(1, gpus_per_node=2))
    dcgm = Snapshot(
        source="dcgm",
        gpus=[
            gpu("gpu-00000", 0, utilization_gpu_pct=0.0, driver_version="999"),
            gpu("elsewhere", 0),
        ],
        covers=frozenset({"gpu_metrics"}),
    )
    run, result = run_sync(cluster, dcgm)
    assert Gpu.objects.count() == 2 and Gpu.objects.filter(gone_at__isnull=False).count() == 0
    row = Gpu.objects.get(uuid="GPU-gpu-00000-00")
    assert row.utilization_gpu_pct == 0.0 and row.driver_version == "535.54.03"
    assert run.added == 0 and run.gone == 0
    assert any("unknown GPU" in w for w in result.warnings)


def test_an_empty_covered_list_marks_nothing_gone():
    cluster = make_cluster()
    run_sync(cluster, cluster_snapshot(2, gpus_per_node=0, components=1))
    empty = Snapshot(source="kubernetes", covers=frozenset({"nodes", "components"}))
    run, result = run_sync(cluster, empty)
    assert Node.objects.filter(gone_at__isnull=True).count() == 2
    assert Component.objects.filter(gone_at__isnull=True).count() == 1
    assert run.gone == 0 and len(result.warnings) == 2


def test_gpus_reported_before_their_node_are_linked_when_it_appears():
    cluster = make_cluster()
    report = Snapshot(
        source="gpu_agent",
        gpus=[gpu("late", 0)],
        covers=frozenset({"gpus"}),
        gpu_nodes=frozenset({"late"}),
    )
    run_sync(cluster, report)
    assert Gpu.objects.get().node is None
    run_sync(cluster, Snapshot(source="k8s", nodes=[node("late")], covers=frozenset({"nodes"})))
    assert Gpu.objects.get().node.name == "late"


@pytest.mark.parametrize("kind", ["first", "unchanged", "one_changed"])
def test_query_count_is_the_same_for_10_and_200_nodes(kind):
    counts = []
    for size in (10, 200):
        cluster = make_cluster(f"c-{kind}-{size}")
        snapshot = cluster_snapshot(size, gpus_per_node=2)
        if kind != "first":
            run_sync(cluster, snapshot)
        if kind == "one_changed":
            snapshot.nodes[3] = dataclasses.replace(snapshot.nodes[3], ready=False)
            snapshot.gpus[5] = dataclasses.replace(snapshot.gpus[5], driver_version="1")
            del snapshot.nodes[-1]
        with CaptureQueriesContext(connection) as ctx:
            run_sync(cluster, snapshot)
        queries = ctx.captured_queries
        if connection.vendor != "postgresql":
            # SQLite caps the parameters of one statement, so its INSERT batches hold
            # fewer rows; everything else must stay constant there too.
            queries = [q for q in queries if not q["sql"].startswith("INSERT")]
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_run_names_the_objects_that_changed():
    cluster = make_cluster()
    snapshot = cluster_snapshot(3, gpus_per_node=1, components=0)
    run_sync(cluster, snapshot)
    snapshot.nodes[1] = dataclasses.replace(snapshot.nodes[1], ready=False)
    run, _ = run_sync(cluster, snapshot)
    assert run.changed_ids == {"node": {Node.objects.get(name="gpu-00001").pk}}
