#!/usr/bin/env python3
"""Benchmark the inventory reconciler on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/inventory_sync.py
    ... bench/inventory_sync.py --sizes 500 5000 --gpus 8

It creates its own database (``<name>_bench`` beside DATABASE_URL's database, so two
people sharing a server do not drop each other's), drops it at the end, and for each N (nodes with 8 GPUs each, as Snapshot facts, no HTTP) times:

- floor: a plain ``bulk_create`` of the same node and GPU rows (nothing compared, no
  change history) — the least any first sync can cost;
- first sync: ``reconcile`` into an empty cluster (rows + one InventoryChange each);
- unchanged resync: the same snapshot again (must write only its SyncRun);
- 1% changed: a resync where 1% of the nodes changed a field and one GPU each.

Each is run twice on fresh clusters: once for seconds and queries, once under
tracemalloc for the peak memory (tracemalloc slows Python down, so it is kept out of
the timings). Targets: first sync within 3x the floor, unchanged resync faster than
the floor, memory linear in N. The search index's hook on SyncRun (it re-reads the
objects a sync changed, after commit) is left out unless ``--with-search``; with it
the first sync's target is 2x the floor (the hook writes 45,000 entries at N=5,000).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

from throwaway_db import database_urls, recreate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


@contextmanager
def counting_queries(connection):
    """Counts statements without keeping their SQL (which would skew the memory)."""
    counter = {"n": 0}

    def wrapper(execute, sql, params, many, context):
        counter["n"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield counter


def snapshot_for(n_nodes: int, gpus_per_node: int):
    from inventory.sources.facts import GpuFacts, NodeFacts, Snapshot

    labels = {
        "nvidia.com/gpu.present": "true",
        "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB",
        "nvidia.com/gpu.count": str(gpus_per_node),
        "nvidia.com/cuda.driver-version.full": "535.54.03",
        "kubernetes.io/arch": "amd64",
        "kubernetes.io/os": "linux",
        "node.kubernetes.io/instance-type": "dgx-a100",
    }
    nodes, gpus = [], []
    for i in range(n_nodes):
        name = f"gpu-{i:05d}"
        nodes.append(
            NodeFacts(
                name=name,
                labels={**labels, "kubernetes.io/hostname": name},
                taints=("nvidia.com/gpu=present:NoSchedule",),
                capacity={"cpu": "256", "memory": "2113276000Ki", "nvidia.com/gpu": "8"},
                allocatable={"cpu": "255", "memory": "2103276000Ki", "nvidia.com/gpu": "8"},
                cpu_cores=256.0,
                memory_bytes=2113276000 * 1024,
                gpu_capacity=gpus_per_node,
                gpu_allocatable=gpus_per_node,
                os_image="Ubuntu 22.04.4 LTS",
                kernel_version="5.15.0-119-generic",
                kubelet_version="v1.30.4",
                container_runtime="containerd://1.7.20",
                architecture="amd64",
                ready=True,
                gpu_labels_present=True,
                gpu_product="NVIDIA-A100-SXM4-80GB",
                gpu_count_label=gpus_per_node,
                driver_version_label="535.54.03",
            )
        )
        for g in range(gpus_per_node):
            gpus.append(
                GpuFacts(
                    uuid=f"GPU-{i:05d}-{g:02d}-5a1e-4b53-8a5d-0c6b2f4e9d1a",
                    index=g,
                    product="NVIDIA A100-SXM4-80GB",
                    node_name=name,
                    memory_total_mib=81920,
                    memory_used_mib=1024,
                    driver_version="535.54.03",
                    cuda_version="12.2",
                    compute_capability="8.0",
                    pci_bus_id=f"00000000:{g + 7:02X}:00.0",
                    mig_mode="Disabled",
                    utilization_gpu_pct=63.0,
                    temperature_c=41.0,
                    power_draw_w=250.0,
                    power_limit_w=400.0,
                    serial=f"16{i:05d}{g:02d}",
                )
            )
    return Snapshot(
        source="bench",
        nodes=nodes,
        gpus=gpus,
        covers=frozenset({"nodes", "gpus"}),
        gpu_nodes=frozenset(n.name for n in nodes),
    )


def changed_1pct(snapshot):
    step = 100
    nodes = list(snapshot.nodes)
    gpus = list(snapshot.gpus)
    per_node = len(gpus) // max(1, len(nodes))
    for i in range(0, len(nodes), step):
        nodes[i] = dataclasses.replace(nodes[i], kubelet_version="v1.31.1")
        gpus[i * per_node] = dataclasses.replace(gpus[i * per_node], driver_version="550.54.15")
    return dataclasses.replace(snapshot, nodes=nodes, gpus=gpus)


def floor(cluster, snapshot) -> None:
    from django.db import transaction
    from django.utils import timezone

    from inventory.models import Gpu, Node
    from inventory.reconcile import GPU_FIELDS, GPU_METRICS, NODE_DERIVED_FIELDS, NODE_FIELDS

    now = timezone.now()
    with transaction.atomic():
        nodes = [
            Node(
                cluster=cluster,
                name=n.name,
                first_seen_at=now,
                changed_at=now,
                **{f: getattr(n, f) for f in (*NODE_FIELDS, *NODE_DERIVED_FIELDS)},
            )
            for n in snapshot.nodes
        ]
        Node.objects.bulk_create(nodes, batch_size=1000)
        ids = {n.name: n.pk for n in nodes}
        Gpu.objects.bulk_create(
            [
                Gpu(
                    cluster=cluster,
                    uuid=g.uuid,
                    node_id=ids[g.node_name],
                    first_seen_at=now,
                    changed_at=now,
                    **{f: getattr(g, f) for f in (*GPU_FIELDS, *GPU_METRICS)},
                )
                for g in snapshot.gpus
            ],
            batch_size=1000,
        )


def sync(cluster, snapshot):
    from django.db import transaction
    from django.utils import timezone

    from inventory.choices import SyncStatus
    from inventory.models import SyncRun
    from inventory.reconcile import reconcile

    with transaction.atomic():
        run = SyncRun(
            cluster=cluster,
            source_kind="kubernetes",
            status=SyncStatus.SUCCEEDED,
            started_at=timezone.now(),
        )
        reconcile(cluster=cluster, snapshot=snapshot, run=run)
    return run


def measure(func, *args, memory: bool):
    from django.db import connection

    if memory:
        tracemalloc.start()
        func(*args)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak
    with counting_queries(connection) as counter:
        start = time.perf_counter()
        func(*args)
        elapsed = time.perf_counter() - start
    return elapsed, counter["n"]


def run_size(n: int, gpus_per_node: int) -> dict:
    from inventory.models import Cluster

    snapshot = snapshot_for(n, gpus_per_node)
    changed = changed_1pct(snapshot)
    results = {}
    for memory in (False, True):
        tag = "m" if memory else "t"
        floor_cluster = Cluster.objects.create(name=f"floor-{n}-{tag}")
        cluster = Cluster.objects.create(name=f"bench-{n}-{tag}")
        for name, func, args in (
            ("floor", floor, (floor_cluster, snapshot)),
            ("first sync", sync, (cluster, snapshot)),
            ("unchanged resync", sync, (cluster, snapshot)),
            ("1% changed", sync, (cluster, changed)),
        ):
            value = measure(func, *args, memory=memory)
            results.setdefault(name, {})
            if memory:
                results[name]["peak_mib"] = value / 2**20
            else:
                results[name]["seconds"], results[name]["queries"] = value
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--gpus", type=int, default=8)
    parser.add_argument(
        "--with-search",
        action="store_true",
        help="keep the search index's SyncRun hook (re-reads what a sync changed)",
    )
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    admin_url, bench_url, bench_db = database_urls(url, "bench")
    recreate(admin_url, bench_db)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("PORTAL_TESTING", "true")
    os.environ.pop("REDIS_URL", None)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        if not args.with_search:
            # The reconciler alone: the search index refreshes after commit, on its own
            # schedule and cost (measured with --with-search).
            from django.db.models.signals import post_save

            from inventory.models import SyncRun

            post_save.disconnect(sender=SyncRun, dispatch_uid="search-inventory-sync")
        print(
            f"PostgreSQL {connection.pg_version}, {args.gpus} GPUs per node, "
            f"search hook {'on' if args.with_search else 'off'}\n"
        )
        print(f"{'N':>6} {'case':<18} {'seconds':>8} {'queries':>8} {'peak MiB':>9} {'÷ floor':>8}")
        # Warm up the connection, the planner and the code paths so the first case
        # measured (the floor) does not pay for them.
        from inventory.models import Cluster

        warm = snapshot_for(20, args.gpus)
        floor(Cluster.objects.create(name="warm-floor"), warm)
        sync(Cluster.objects.create(name="warm-sync"), warm)
        summary = []
        for n in args.sizes:
            results = run_size(n, args.gpus)
            base = results["floor"]["seconds"]
            for name, r in results.items():
                print(
                    f"{n:>6} {name:<18} {r['seconds']:>8.2f} {r['queries']:>8} "
                    f"{r['peak_mib']:>9.1f} {r['seconds'] / base:>8.2f}"
                )
            summary.append((n, results))
            print()
        if len(summary) > 1:
            (n1, r1), (n2, r2) = summary[0], summary[-1]
            for case in ("first sync", "unchanged resync"):
                print(
                    f"memory {case}: x{r2[case]['peak_mib'] / r1[case]['peak_mib']:.1f} "
                    f"for x{n2 / n1:.0f} nodes"
                )
    finally:
        from django.db import connections

        connections.close_all()
        recreate(admin_url, bench_db, drop_only=True)


if __name__ == "__main__":
    main()
