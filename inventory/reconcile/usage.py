"""The usage history's writes: one sample per sync into each node's hour, and the prune.

A sample is one ``INSERT … SELECT … ON CONFLICT DO UPDATE``: the database reads the
nodes and GPUs the sync has just written, groups them per node and adds the figures
to the hour's row (or creates it). One statement whatever the node count, and no rows
travel through Python. PostgreSQL and SQLite (3.24+) both speak this upsert.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from inventory.models import Cluster, Gpu, GpuUsageSample, Node
from inventory.reconcile.common import SCOPED_LOAD_LIMIT
from inventory.sources.facts import Snapshot
from inventory.usage import bucket_of

# What a snapshot must cover to be a sample: a periodic read of the nodes, a GPU report
# or a scrape of the metrics. A watch's partial batch (it covers nothing) is an event,
# not a reading at a regular interval, and would weigh busy nodes more.
SAMPLED_COVERS = frozenset({"nodes", "gpus", "gpu_metrics"})


def sampled_nodes(snapshot: Snapshot) -> list[str] | None:
    """The names of the nodes this snapshot read, or None for every node of the
    cluster (a full read, or more names than an IN list should carry)."""
    if "nodes" in snapshot.covers:
        return None
    names = {g.node_name for g in snapshot.gpus} | set(snapshot.gpu_nodes)
    return None if len(names) > SCOPED_LOAD_LIMIT else sorted(names)


def _upsert_sql(names: list[str] | None) -> str:
    table = connection.ops.quote_name(GpuUsageSample._meta.db_table)
    node_table = connection.ops.quote_name(Node._meta.db_table)
    gpu_table = connection.ops.quote_name(Gpu._meta.db_table)
    only = f"AND n.name IN ({', '.join(['%s'] * len(names))})" if names is not None else ""
    added = (
        "gpu_allocatable_sum",
        "gpu_requested_sum",
        "utilization_sum",
        "utilization_samples",
        "memory_used_mib_sum",
        "memory_samples",
    )
    update = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in added)
    # The node's model: what its GPUs report, else what the GFD label claims.
    return f"""
        INSERT INTO {table} (cluster_id, node_id, product, bucket_start, samples,
            {", ".join(added)})
        SELECT n.cluster_id, n.id, COALESCE(MAX(g.product), n.gpu_product), %s, 1,
            n.gpu_allocatable, n.gpu_requested,
            COALESCE(AVG(g.utilization_gpu_pct), 0),
            CASE WHEN COUNT(g.utilization_gpu_pct) > 0 THEN 1 ELSE 0 END,
            COALESCE(SUM(g.memory_used_mib), 0),
            CASE WHEN COUNT(g.memory_used_mib) > 0 THEN 1 ELSE 0 END
        FROM {node_table} n
        LEFT JOIN {gpu_table} g ON g.node_id = n.id AND g.gone_at IS NULL
        WHERE n.cluster_id = %s AND n.gone_at IS NULL {only}
        GROUP BY n.cluster_id, n.id, n.gpu_product, n.gpu_allocatable, n.gpu_requested,
            n.gpu_capacity
        HAVING COUNT(g.id) > 0 OR n.gpu_capacity > 0 OR n.gpu_allocatable > 0
        ON CONFLICT (node_id, bucket_start) DO UPDATE SET
            samples = {table}.samples + 1, product = excluded.product, {update}
    """  # noqa: S608 (names from the models' meta; every value is a parameter)


def usage_sample(*, cluster: Cluster, snapshot: Snapshot, now: datetime) -> None:
    """Add what the inventory now holds for the nodes ``snapshot`` read to their
    hour. Call after the snapshot is written, in its transaction."""
    if not SAMPLED_COVERS & snapshot.covers:
        return
    names = sampled_nodes(snapshot)
    if names == []:
        return
    bucket = connection.ops.adapt_datetimefield_value(bucket_of(now))
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(names), [bucket, cluster.pk, *(names or [])])


def usage_samples_prune(*, now: datetime | None = None, days: int | None = None) -> int:
    days = days if days is not None else settings.INVENTORY_USAGE_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _ = GpuUsageSample.objects.filter(bucket_start__lt=cutoff).delete()
    return deleted
