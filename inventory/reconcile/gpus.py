"""GPUs: inventory fields make changes, metrics only update current values."""

from __future__ import annotations

from django.db.models import Q

from inventory.choices import ChangeKind, ObjectKind
from inventory.models import Gpu
from inventory.reconcile.common import (
    BATCH,
    GPU_FIELDS,
    GPU_METRICS,
    SCOPED_LOAD_LIMIT,
    dedupe,
    diff,
    gpu_metrics,
    gpu_values,
    idle_threshold_pct,
    mark_gone,
)


def gpus_gone_with_nodes(cluster, snapshot, node_names, now, changes, result) -> None:
    """A node that left the cluster takes its GPUs with it."""
    if not node_names:
        return
    reported = {g.uuid for g in snapshot.gpus}
    vanished = [
        (uuid, pk)
        for pk, uuid in Gpu.objects.filter(
            cluster=cluster, node_name__in=node_names, gone_at__isnull=True
        ).values_list("id", "uuid")
        if uuid not in reported
    ]
    if vanished:
        mark_gone(Gpu, [pk for _u, pk in vanished], now)
        for uuid, pk in vanished:
            changes.simple(ObjectKind.GPU, uuid, pk, ChangeKind.GONE)
        result.gone += len(vanished)


def idle_since(util, current, now):
    if util is None:
        return current
    if util <= idle_threshold_pct():
        return current or now
    return None


COLUMNS = ("id", "uuid", "gone_at", "node_id", "idle_since", *GPU_FIELDS, *GPU_METRICS)
OFF_FIELDS = 5
OFF_METRICS = OFF_FIELDS + len(GPU_FIELDS)


def _load_scope(facts: dict, gpu_nodes: set[str], full: bool) -> Q:
    if len(facts) > SCOPED_LOAD_LIMIT or len(gpu_nodes) > SCOPED_LOAD_LIMIT:
        # A cluster-wide snapshot: loading every GPU of the cluster is cheaper than
        # sending (and planning) an IN list of tens of thousands of UUIDs.
        return Q()
    scope = Q(uuid__in=list(facts))
    if full and gpu_nodes:
        scope |= Q(node_name__in=list(gpu_nodes))
    return scope


def _new_gpu(cluster, uuid: str, fact, node_ids: dict[str, int], now) -> Gpu:
    return Gpu(
        cluster=cluster,
        uuid=uuid,
        node_id=node_ids.get(fact.node_name),
        first_seen_at=now,
        changed_at=now,
        last_seen_at=now,
        idle_since=idle_since(fact.utilization_gpu_pct, None, now),
        **gpu_values(fact),
        **gpu_metrics(fact),
    )


def _gpu_update(row, fact, full: bool, node_ids: dict[str, int], now):
    """``(gpu, fields to write, recorded diffs, returned, metrics changed)`` for a known
    GPU, or None when nothing about it changed."""
    values = (
        gpu_values(fact) if full else {f: row[OFF_FIELDS + i] for i, f in enumerate(GPU_FIELDS)}
    )
    # Metrics a source does not read (None) keep their last value.
    read = gpu_metrics(fact)
    metrics = {
        f: (read[f] if read[f] is not None else row[OFF_METRICS + i])
        for i, f in enumerate(GPU_METRICS)
    }
    diffs = diff(row, OFF_FIELDS, GPU_FIELDS, values) if full else []
    metric_diffs = diff(row, OFF_METRICS, GPU_METRICS, metrics)
    node_id = node_ids.get(values["node_name"], row[3]) if full else row[3]
    idle = idle_since(metrics["utilization_gpu_pct"], row[4], now)
    returned = full and row[2] is not None
    if not (diffs or metric_diffs or returned or node_id != row[3] or idle != row[4]):
        return None
    gpu = Gpu(
        id=row[0],
        node_id=node_id,
        changed_at=now,
        gone_at=None,
        idle_since=idle,
        last_seen_at=now,
        **values,
        **metrics,
    )
    fields = {d[0] for d in diffs} | {d[0] for d in metric_diffs}
    fields.update(("node", "idle_since", "last_seen_at"))
    if diffs or returned:
        fields.add("changed_at")
    return gpu, fields, diffs, returned, bool(metric_diffs)


def reconcile_gpus(cluster, snapshot, now, node_ids, changes, result) -> None:
    full = "gpus" in snapshot.covers
    metrics_only = not full and "gpu_metrics" in snapshot.covers
    if not full and not metrics_only:
        return
    facts = dedupe(snapshot.gpus, lambda g: g.uuid, result, "GPU")
    gpu_nodes = set(snapshot.gpu_nodes)
    existing = {
        r[1]: r
        for r in Gpu.objects.filter(
            _load_scope(facts, gpu_nodes, full), cluster=cluster
        ).values_list(*COLUMNS)
        if full or r[2] is None  # metrics never bring back a gone GPU
    }
    to_create: list[Gpu] = []
    to_update: list[Gpu] = []
    update_fields: set[str] = set()
    for uuid, fact in facts.items():
        row = existing.get(uuid)
        if row is None:
            if metrics_only:
                result.warnings.append(f"metrics for unknown GPU {uuid} ignored")
                continue
            obj = _new_gpu(cluster, uuid, fact, node_ids, now)
            to_create.append(obj)
            changes.added(ObjectKind.GPU, uuid, obj)
            result.added += 1
            continue
        update = _gpu_update(row, fact, full, node_ids, now)
        if update is None:
            continue
        obj, fields, diffs, returned, metrics_changed = update
        to_update.append(obj)
        update_fields |= fields
        if metrics_changed:
            result.metrics_updated += 1
        if returned:
            changes.simple(ObjectKind.GPU, uuid, row[0], ChangeKind.RETURNED)
            update_fields.add("gone_at")
            result.added += 1
        result.changed += changes.fields(ObjectKind.GPU, uuid, row[0], diffs)
    if to_create:
        Gpu.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        Gpu.objects.bulk_update(to_update, sorted(update_fields), batch_size=BATCH)
    if full and gpu_nodes:
        vanished = [
            (uuid, r[0])
            for uuid, r in existing.items()
            if r[2] is None and uuid not in facts and r[OFF_FIELDS] in gpu_nodes
        ]
        if vanished:
            mark_gone(Gpu, [pk for _u, pk in vanished], now)
            for uuid, pk in vanished:
                changes.simple(ObjectKind.GPU, uuid, pk, ChangeKind.GONE)
            result.gone += len(vanished)


def link_orphan_gpus(cluster, node_ids: dict[str, int], created_nodes: bool) -> None:
    """GPUs reported before Kubernetes listed their node get linked once it appears."""
    if not created_nodes:
        return
    orphans = list(
        Gpu.objects.filter(
            cluster=cluster, node__isnull=True, node_name__in=list(node_ids)
        ).values_list("id", "node_name")
    )
    if orphans:
        Gpu.objects.bulk_update(
            [Gpu(id=pk, node_id=node_ids[name]) for pk, name in orphans], ["node"], batch_size=BATCH
        )
