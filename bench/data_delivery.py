"""Time the data findings and the networks home card at growing catalogue sizes, and
print seconds and queries per size: both should stay flat in queries and grow far
slower than the number of datasets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python bench/data_delivery.py

A throw-away database (test_<name>) is created, filled with bulk-generated rows (10
sites in a ring with chords, a store per site, a cluster at every other site, each
dataset used on two clusters), measured and dropped. Not run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("PORTAL_TESTING", "true")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_databases, teardown_databases  # noqa: E402


def build_graph(sites: int) -> tuple[list, list]:
    from data.models import ClusterPlacement, DataStore, NetworkLink, Site
    from inventory.models import Cluster

    made = Site.objects.bulk_create(Site(name=f"site-{i}", kind="provider") for i in range(sites))
    stores = DataStore.objects.bulk_create(
        DataStore(name=f"store-{i}", kind="share", site=s) for i, s in enumerate(made)
    )
    links = [
        NetworkLink(site_a=made[i], site_b=made[(i + 1) % sites], bandwidth_gbps=1 + i % 10)
        for i in range(sites)
    ]
    links += [
        NetworkLink(site_a=made[i], site_b=made[i + sites // 2], bandwidth_gbps=25)
        for i in range(0, sites // 2, 2)
    ]
    NetworkLink.objects.bulk_create(links)
    clusters = Cluster.objects.bulk_create(Cluster(name=f"cluster-{i}") for i in range(sites // 2))
    ClusterPlacement.objects.bulk_create(
        ClusterPlacement(cluster=c, site=made[2 * i]) for i, c in enumerate(clusters)
    )
    return stores, clusters


def grow(n: int, start: int, stores, clusters, rng) -> None:
    from data.models import Dataset

    datasets = Dataset.objects.bulk_create(
        (
            Dataset(
                name=f"ds-{start + i}",
                store=rng.choice(stores),
                size_bytes=rng.randint(10**9, 5 * 10**12),
                file_count=rng.randint(1, 10**6),
                personal_data=rng.random() < 0.1,
            )
            for i in range(n)
        ),
        batch_size=1000,
    )
    through = Dataset.clusters.through
    through.objects.bulk_create(
        (
            through(dataset_id=d.pk, cluster_id=c.pk)
            for d in datasets
            for c in rng.sample(clusters, 2)
        ),
        batch_size=2000,
    )


def measure(label: str, func, rounds: int = 3) -> tuple[float, int]:
    """The best of ``rounds`` (the first after a bulk load reads cold pages)."""
    best, queries = float("inf"), 0
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            func()
            best = min(best, time.perf_counter() - started)
        queries = len(ctx.captured_queries)
    return best, queries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--sites", type=int, default=10)
    args = parser.parse_args()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        from data.findings import findings_compute
        from data.panels import _data_figures, _networks_figures

        rng = random.Random(7)
        stores, clusters = build_graph(args.sites)
        have = 0
        print(
            "| datasets | findings s | queries | data card s | queries | networks card s | queries |"
        )
        print("|---|---|---|---|---|---|---|")
        for size in (int(s) for s in args.sizes.split(",")):
            grow(size - have, have, stores, clusters, rng)
            have = size
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
            f = measure("findings", findings_compute)
            d = measure("data card", _data_figures)
            n = measure("networks card", _networks_figures)
            print(f"| {size:,} | {f[0]:.3f} | {f[1]} | {d[0]:.3f} | {d[1]} | {n[0]:.3f} | {n[1]} |")
    finally:
        teardown_databases(old_config, verbosity=0)


if __name__ == "__main__":
    main()
