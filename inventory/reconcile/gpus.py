"""GPUs: inventory fields make changes, metrics only update current values."""

from __future__ import annotations

from django.db.models import Q

from inventory.choices import ObjectKind
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
)
from inventory.reconcile.loop import Pass, Update


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
    GpuPass(cluster, now, changes, result).mark_gone(vanished)


def idle_since(util, current, now):
    if util is None:
        return current
    if util <= idle_threshold_pct():
        return current or now
    return None


class GpuPass(Pass):
    """Inventory fields make changes; metrics only update current values. A GPU is
    gone only from a node whose report was read (``snapshot.gpu_nodes``), and a node
    whose report lists no GPU is a complete answer: GPUs do fall off the bus."""

    model = Gpu
    object_kind = ObjectKind.GPU
    what = "GPU"
    fields = GPU_FIELDS
    offset = 5
    columns = ("id", "gone_at", "uuid", "node_id", "idle_since", *GPU_FIELDS, *GPU_METRICS)

    def __init__(
        self, cluster, now, changes, result, *, full=True, node_ids=None, gpu_nodes=()
    ) -> None:
        super().__init__(cluster, now, changes, result)
        self.full, self.node_ids, self.gpu_nodes = full, node_ids or {}, set(gpu_nodes)

    def new(self, key, fact) -> Gpu | None:
        if not self.full:
            self.result.warnings.append(f"metrics for unknown GPU {key} ignored")
            return None
        return Gpu(
            cluster=self.cluster,
            uuid=key,
            node_id=self.node_ids.get(fact.node_name),
            first_seen_at=self.now,
            changed_at=self.now,
            last_seen_at=self.now,
            idle_since=idle_since(fact.utilization_gpu_pct, None, self.now),
            **gpu_values(fact),
            **gpu_metrics(fact),
        )

    def update(self, row: tuple, fact) -> Update | None:
        off_metrics = self.offset + len(GPU_FIELDS)
        values = (
            gpu_values(fact)
            if self.full
            else {f: row[self.offset + i] for i, f in enumerate(GPU_FIELDS)}
        )
        # Metrics a source does not read (None) keep their last value.
        read = gpu_metrics(fact)
        metrics = {
            f: (read[f] if read[f] is not None else row[off_metrics + i])
            for i, f in enumerate(GPU_METRICS)
        }
        diffs = diff(row, self.offset, GPU_FIELDS, values) if self.full else []
        metric_diffs = diff(row, off_metrics, GPU_METRICS, metrics)
        node_id = self.node_ids.get(values["node_name"], row[3]) if self.full else row[3]
        idle = idle_since(metrics["utilization_gpu_pct"], row[4], self.now)
        returned = self.full and row[1] is not None
        if not (diffs or metric_diffs or returned or node_id != row[3] or idle != row[4]):
            return None
        gpu = Gpu(
            id=row[0],
            node_id=node_id,
            changed_at=self.now,
            gone_at=None,
            idle_since=idle,
            last_seen_at=self.now,
            **values,
            **metrics,
        )
        fields = {d[0] for d in diffs} | {d[0] for d in metric_diffs}
        fields.update(("node", "idle_since", "last_seen_at"))
        if diffs or returned:
            fields.add("changed_at")
        if metric_diffs:
            self.result.metrics_updated += 1
        return Update(gpu, fields, diffs, returned)

    def vanished(self, existing: dict, facts: dict, covered: bool) -> list[tuple[str, int]]:
        if not (self.full and self.gpu_nodes):
            return []
        return [
            (uuid, r[0])
            for uuid, r in existing.items()
            if r[1] is None and uuid not in facts and r[self.offset] in self.gpu_nodes
        ]


def _load_scope(facts: dict, gpu_nodes: set[str], full: bool) -> Q:
    if len(facts) > SCOPED_LOAD_LIMIT or len(gpu_nodes) > SCOPED_LOAD_LIMIT:
        # A cluster-wide snapshot: loading every GPU of the cluster is cheaper than
        # sending (and planning) an IN list of tens of thousands of UUIDs.
        return Q()
    scope = Q(uuid__in=list(facts))
    if full and gpu_nodes:
        scope |= Q(node_name__in=list(gpu_nodes))
    return scope


def reconcile_gpus(cluster, snapshot, now, node_ids, changes, result) -> None:
    full = "gpus" in snapshot.covers
    if not full and "gpu_metrics" not in snapshot.covers:
        return
    facts = dedupe(snapshot.gpus, lambda g: g.uuid, result, "GPU")
    gpu_nodes = set(snapshot.gpu_nodes)
    gpus = GpuPass(cluster, now, changes, result, full=full, node_ids=node_ids, gpu_nodes=gpu_nodes)
    rows = Gpu.objects.filter(_load_scope(facts, gpu_nodes, full), cluster=cluster)
    existing = {
        r[2]: r
        for r in rows.values_list(*gpus.columns)
        if full or r[1] is None  # metrics never bring back a gone GPU
    }
    gpus.run(existing, facts, covered=full)


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
