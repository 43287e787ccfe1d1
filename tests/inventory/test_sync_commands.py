"""How syncs start: beat's dispatcher, the CLI, the demo seeder; and the capacity
advisor over the result."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from inventory.capacity import capacity_advice
from inventory.choices import SourceKind, SyncStatus
from inventory.findings import findings_compute
from inventory.models import Cluster, Gpu, InventorySource, Node, SyncRun
from inventory.reconcile import reconcile
from inventory.services import DEMO_CLUSTER, demo_inventory_seed, syncs_dispatch_due
from inventory.sources.facts import Snapshot

from .builders import gpu, make_cluster, node

pytestmark = pytest.mark.django_db


def files_source(cluster, path, **extra):
    source = InventorySource.objects.create(
        cluster=cluster, name="files", kind=SourceKind.FILES, config={"path": str(path)}, **extra
    )
    cache.delete(f"inventory:dispatched:{source.pk}")
    return source


def test_dispatch_queues_only_due_sources(monkeypatch):
    from inventory import tasks

    queued = []
    monkeypatch.setattr(tasks.sync_cluster, "delay", lambda *a: queued.append(a))
    cluster = make_cluster()
    due = files_source(cluster, "/nonexistent")
    fresh = InventorySource.objects.create(
        cluster=cluster, name="fresh", kind=SourceKind.DCGM, config={"urls": ["http://x/"]}
    )
    SyncRun.objects.create(
        cluster=cluster, source=fresh, source_kind=fresh.kind,
        status=SyncStatus.SUCCEEDED, started_at=timezone.now() - timedelta(seconds=10),
    )  # fmt: skip
    InventorySource.objects.create(
        cluster=cluster, name="off", kind=SourceKind.FILES, config={"path": "/x"}, enabled=False
    )
    assert syncs_dispatch_due()["clusters"] == [cluster.pk]
    assert queued == [(cluster.pk, [due.pk])]
    # Queued once: the next beat tick does not queue it again while it waits.
    syncs_dispatch_due()
    assert len(queued) == 1


def test_the_cli_syncs_a_cluster_by_name_and_fails_loudly(tmp_path):
    cluster = make_cluster("lab")
    files_source(cluster, "inventory/demo/cluster")
    call_command("inventory_sync", "lab")
    assert Node.objects.filter(cluster=cluster).exists()
    assert SyncRun.objects.get().status == SyncStatus.SUCCEEDED
    InventorySource.objects.update(config={"path": str(tmp_path)})
    with pytest.raises(CommandError):
        call_command("inventory_sync", "--all")
    with pytest.raises(CommandError):
        call_command("inventory_sync", "nope")


def test_the_demo_seeder_makes_a_labelled_cluster_once():
    demo_inventory_seed(demo=False)
    assert not Cluster.objects.exists()
    demo_inventory_seed(demo=True)
    demo_inventory_seed(demo=True)
    cluster = Cluster.objects.get()
    assert cluster.name == DEMO_CLUSTER and cluster.is_demo and "demo" in cluster.name
    assert SyncRun.objects.count() == 1
    assert SyncRun.objects.get().status == SyncStatus.SUCCEEDED, SyncRun.objects.get().error
    assert Gpu.objects.filter(cluster=cluster).exists()
    # Enabled: beat (or `make run`'s in-process scheduler) keeps reading it, so the demo
    # cluster is live and its source is not stale.
    assert InventorySource.objects.get().enabled
    assert "stale_source" not in {f.code for f in findings_compute()}


def _run(cluster, snapshot):
    run = SyncRun(
        cluster=cluster, source_kind="kubernetes", status=SyncStatus.SUCCEEDED,
        started_at=timezone.now(),
    )  # fmt: skip
    reconcile(cluster=cluster, snapshot=snapshot, run=run)


def test_the_capacity_advisor_checks_memory_nvlink_ram_and_cpu():
    cluster = make_cluster()
    bus = [f"00000000:{i + 7:02X}:00.0" for i in range(4)]
    nodes = [
        node("a100", gpus=4, cpu=64, gpu_requested=1),  # 80 GiB each, NVLinked
        node("small", gpus=4, cpu=64),  # 24 GiB each, no NVLink
        node("thin", gpus=4, cpu=16),  # too few vCPU per GPU
    ]
    gpus = [gpu("a100", i, nvlink_peers=tuple(b for b in bus if b != bus[i])) for i in range(4)] + [
        gpu(n, i, memory_total_mib=24576) for n in ("small", "thin") for i in range(4)
    ]
    _run(
        cluster,
        Snapshot(
            source="t", nodes=nodes, gpus=gpus, covers=frozenset({"nodes", "gpus"}),
            gpu_nodes=frozenset(n.name for n in nodes),
        ),
    )  # fmt: skip

    def fit(**kw):
        args = {"model_gb": 10, "batch_gb": 4, "dataset_bytes": 100 * 10**9, "gpu_count": 2, **kw}
        return {f.node.name: (f.mode, f.free_now) for f in capacity_advice(**args).fits}

    assert fit() == {"a100": ("replica", 3), "small": ("replica", 4)}
    # 140 GB of weights: only sharded over NVLinked 80 GiB GPUs (35 + 4 GB per GPU).
    assert fit(model_gb=140, gpu_count=4) == {"a100": ("sharded", 3)}
    assert fit(dataset_bytes=5000 * 10**9) == {}
    assert fit(gpu_count=16) == {}


def test_old_runs_that_changed_nothing_are_pruned_but_the_latest_stays():
    cluster = make_cluster()
    now = timezone.now()

    def run(days_ago, scope="gpu-a", **counts):
        return SyncRun.objects.create(
            cluster=cluster, source_kind="gpu_agent", scope=scope, status=SyncStatus.SUCCEEDED,
            started_at=now - timedelta(days=days_ago), **counts,
        )  # fmt: skip

    old_quiet, old_changed, recent = run(40), run(39, added=2), run(1)
    only_one_of_its_node = run(50, scope="gpu-b")
    from inventory.services import syncruns_prune

    assert syncruns_prune(days=30) == 1
    assert set(SyncRun.objects.values_list("pk", flat=True)) == {
        old_changed.pk,
        recent.pk,
        only_one_of_its_node.pk,
    }
    assert old_quiet.pk not in set(SyncRun.objects.values_list("pk", flat=True))


def _advice(**kw):
    args = {"model_gb": 40, "batch_gb": 8, "dataset_bytes": 10**9, "gpu_count": 1, **kw}
    return capacity_advice(**args)


def test_a_mig_split_gpu_holds_no_more_than_its_largest_instance():
    from inventory.sources.facts import MigDeviceFacts

    cluster = make_cluster()
    split = (
        MigDeviceFacts(index=0, profile="3g.40gb", memory_total_mib=40448),
        MigDeviceFacts(index=1, profile="2g.20gb", memory_total_mib=19968),
        MigDeviceFacts(index=2, profile="1g.10gb", memory_total_mib=9856),
    )
    nodes = [node("mig", gpus=1, cpu=32), node("whole", gpus=1, cpu=32)]
    gpus = [
        gpu("mig", 0, mig_mode="Enabled", mig_devices=split),
        gpu("whole", 0),
    ]
    _run(
        cluster,
        Snapshot(
            source="t", nodes=nodes, gpus=gpus, covers=frozenset({"nodes", "gpus"}),
            gpu_nodes=frozenset({"mig", "whole"}),
        ),
    )  # fmt: skip
    # 40 GB + 8 GB: the 80 GB GPU split 3g.40gb / 2g.20gb / 1g.10gb cannot hold it.
    advice = _advice()
    assert [f.node.name for f in advice.fits] == ["whole"]
    assert [(o.reason, o.count, o.examples) for o in advice.left_out] == [
        ("gpu_memory", 1, ["mig"])
    ]
    # 8 GB + 1 GB fits each of its three instances, each a device with its own memory.
    small = {f.node.name: f for f in _advice(model_gb=8, batch_gb=1, gpu_count=3).fits}
    assert (small["mig"].gpus_fitting, small["mig"].mig_instances) == (3, 3)
    assert small["mig"].gpu_memory_mib == 9856
    assert "whole" not in small  # one GPU, three needed


def test_the_advisor_says_why_each_node_is_left_out():
    cluster = make_cluster()
    nodes = [
        node("fits", gpus=2, cpu=32),
        node("down", gpus=2, cpu=32, ready=False),
        node("cpu-only", gpus=0, cpu=32),
        node("hidden", gpus=2, cpu=32, gpu_allocatable=0),
        node("thin", gpus=2, cpu=8),
        node("small-ram", gpus=2, cpu=32, memory_bytes=2**30),
        node("small-gpu", gpus=2, cpu=32),
        node("labels-only", gpus=2, cpu=32, gpu_memory_mib=81920),
        node("unknown", gpus=2, cpu=32),
    ]
    gpus = [gpu(n, i) for n in ("fits", "down", "hidden", "thin", "small-ram") for i in range(2)]
    gpus += [gpu("small-gpu", i, memory_total_mib=24576) for i in range(2)]
    _run(
        cluster,
        Snapshot(
            source="t", nodes=nodes, gpus=gpus, covers=frozenset({"nodes", "gpus"}),
            gpu_nodes=frozenset(n.name for n in nodes),
        ),
    )  # fmt: skip
    advice = _advice(dataset_bytes=100 * 10**9)
    assert sorted(f.node.name for f in advice.fits) == ["fits", "labels-only"]
    assert {o.reason: o.examples for o in advice.left_out} == {
        "not_ready": ["down"],
        "no_gpu": ["cpu-only"],
        "not_exposed": ["hidden"],
        "ram": ["small-ram"],
        "vcpu": ["thin"],
        "gpu_unknown": ["unknown"],
        "gpu_memory": ["small-gpu"],
    }


def test_the_advisor_takes_the_same_queries_for_10_and_200_nodes():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .builders import grow

    counts = []
    for size in (10, 200):
        cluster = grow(f"c{size}", size, gpus_per_node=2)
        with CaptureQueriesContext(connection) as ctx:
            advice = _advice(model_gb=10, cluster_id=cluster.pk, gpu_count=2)
        assert advice.fits_total == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
