#!/usr/bin/env python3
"""Benchmark the Kubernetes source and the watcher against a real kube-apiserver.

    make kube-apiserver   # once: builds etcd and kube-apiserver into the cache
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/kube_sync.py
    ... bench/kube_sync.py --nodes 5000 --lists 5 --changes 10

It starts etcd and kube-apiserver on 127.0.0.1 (as the test suite does), creates
``--nodes`` GPU nodes through the API (object, then status), and its own database
(``portal_bench_kube``, dropped at the end). Then it prints:

- LIST: ``KubernetesSource.read()`` of the whole cluster (nodes paged by 500, Running
  pods, workloads), ``--lists`` times: p50 and max (the Kubernetes SLO allows 30 s p99
  for a LIST of this size);
- sync: the same read reconciled into the database, first into an empty cluster, then
  again with nothing changed;
- watch latency: with the watcher following the cluster, ``--changes`` label patches,
  each timed from the API's answer to the row in the database, and to the moment the
  pages' "last change" check moves (a page asks it every 3 s, so add up to 3 s for the
  page itself).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from throwaway_db import database_urls, recreate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _create_nodes(cluster, count: int, workers: int = 8) -> float:
    from tests.stand_ins.kubernetes import gpu_cluster_nodes

    started = time.perf_counter()
    nodes = gpu_cluster_nodes(count)

    def put(chunk):
        writer = type(cluster)(cluster.server)
        try:
            for node in chunk:
                writer.put_node(node)
        finally:
            writer.close()

    chunks = [nodes[i::workers] for i in range(workers)]
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(put, chunks))
    return time.perf_counter() - started


def _wait(predicate, timeout: float = 60.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if predicate():
            return time.perf_counter() - started
        time.sleep(0.01)
    raise RuntimeError(f"not within {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--lists", type=int, default=5)
    parser.add_argument("--changes", type=int, default=10)
    args = parser.parse_args()

    admin_url, bench_url, bench_db = database_urls(os.environ.get("DATABASE_URL", ""), "bench_kube")
    recreate(admin_url, bench_db)
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("PORTAL_TESTING", "true")
    os.environ.pop("REDIS_URL", None)

    from tests.inventory.kube_apiserver import KubeApiServer, binaries

    bin_dir = binaries()
    if bin_dir is None:
        sys.exit("kube-apiserver is not built: run `make kube-apiserver`")
    folder = Path(tempfile.mkdtemp(prefix="kube-bench-"))
    server = KubeApiServer(bin_dir, folder).start()
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        _run(server, folder, args)
    finally:
        server.stop()
        from django.db import connections

        connections.close_all()
        recreate(admin_url, bench_db, drop_only=True)


def _run(server, folder: Path, args) -> None:
    from inventory.choices import SourceKind
    from inventory.models import Cluster as ClusterRow
    from inventory.models import InventorySource, Node
    from inventory.services import source_sync
    from inventory.sources.kubernetes import KubernetesSource
    from inventory.views_live import live_token
    from inventory.watcher import watch_cluster
    from tests.inventory.kube_apiserver import Cluster

    cluster = Cluster(server)
    cluster.server = server
    kubeconfig = server.write_kubeconfig(folder / "kubeconfig")
    created = _create_nodes(cluster, args.nodes)
    print(f"kube-apiserver {server.url}: {args.nodes} nodes created in {created:.1f} s")

    lists = []
    for _ in range(args.lists):
        reader = KubernetesSource(str(kubeconfig), request_timeout=60)
        started = time.perf_counter()
        snapshot = reader.read()
        lists.append(time.perf_counter() - started)
        reader.close()
        assert len(snapshot.nodes) == args.nodes
    print(
        f"LIST ({args.nodes} nodes, pages of 500): p50 {statistics.median(lists):.2f} s, "
        f"max {max(lists):.2f} s over {len(lists)} (SLO: 30 s p99)"
    )

    row = ClusterRow.objects.create(name="bench")
    source = InventorySource.objects.create(
        cluster=row,
        name="api",
        kind=SourceKind.KUBERNETES,
        config={"kubeconfig": str(kubeconfig), "request_timeout": 60},
    )
    first = source_sync(source=source)
    again = source_sync(source=source)
    print(
        f"sync: first {first.duration_ms / 1000:.2f} s (+{first.added}), "
        f"unchanged {again.duration_ms / 1000:.2f} s (+{again.added} ~{again.changed})"
    )

    stop = threading.Event()
    watchers = []
    thread = threading.Thread(
        target=watch_cluster,
        args=(row.pk, stop),
        kwargs={"on_watcher": watchers.append, "retry_s": 1},
        daemon=True,
    )
    started = time.perf_counter()
    thread.start()
    _wait(lambda: bool(watchers) and watchers[0].ready.is_set(), timeout=300)
    print(f"watcher: listed {args.nodes} nodes and pods in {time.perf_counter() - started:.2f} s")
    to_row, to_check = [], []
    try:
        for i in range(args.changes):
            name = f"gpu-{(i * 7919) % args.nodes:05d}"
            value = f"v{i}"
            token = live_token()
            cluster.core.patch_node(name, {"metadata": {"labels": {"bench": value}}})
            answered = time.perf_counter()
            _wait(lambda n=name, v=value: Node.objects.filter(
                cluster=row, name=n, labels__bench=v).exists())  # fmt: skip
            to_row.append(time.perf_counter() - answered)
            _wait(lambda t=token: live_token() != t)
            to_check.append(time.perf_counter() - answered)
    finally:
        stop.set()
        thread.join(60)
    print(
        f"watch latency over {len(to_row)} label changes: API -> row p50 "
        f"{statistics.median(to_row) * 1000:.0f} ms, max {max(to_row) * 1000:.0f} ms; "
        f"API -> 'last change' check p50 {statistics.median(to_check) * 1000:.0f} ms "
        f"(a page then re-renders within its 3 s poll)"
    )
    cluster.close()


if __name__ == "__main__":
    main()
