"""Write a snapshot into the inventory in bulk: the only writer of nodes, GPUs,
components and changes.

The cost of a sync is a constant number of queries per batch, never per row: the
current rows of each kind are loaded in one query (as tuples, to keep memory low),
compared in Python, and only the differences are written with ``bulk_create`` /
``bulk_update`` and one ``UPDATE`` marking what is gone. A snapshot that matches the
database writes nothing but its SyncRun.

Decisions worth knowing:
- Each difference is one InventoryChange: an item added, returned (seen again after it
  was gone), gone, or one field changed. Dict fields (labels, capacity, allocatable)
  produce one change per key, e.g. ``labels.nvidia.com/gpu.product``.
- GPU metrics (utilisation, memory used, temperature, power draw) change on every
  scrape. They update the GPU's current values and ``last_seen_at`` but create no
  InventoryChange; ``idle_since`` keeps when utilisation last dropped to the idle
  threshold, so GPUs idle for long can be found without a metrics history.
- Only kinds in ``snapshot.covers`` can be marked gone; GPUs only on the nodes in
  ``snapshot.gpu_nodes``. A covered list that comes back empty while the database holds
  items is not trusted (a source that lost its view says nothing, it does not say
  "everything is gone") and produces a warning instead. A GPU report is per node, and
  a node with no GPUs left is a complete answer (GPUs do fall off the bus).
- A ``gpu_metrics``-only snapshot (DCGM) updates metrics of known GPUs and never adds
  or removes one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from inventory.choices import ChangeKind, ObjectKind
from inventory.models import Cluster, Component, Gpu, InventoryChange, Node, SyncRun
from inventory.sources.facts import ComponentFacts, GpuFacts, NodeFacts, Snapshot

BATCH = 1000
SCOPED_LOAD_LIMIT = 500  # above this many GPUs or nodes, load the whole cluster's GPUs

NODE_FIELDS = (
    "labels",
    "taints",
    "roles",
    "capacity",
    "allocatable",
    "cpu_cores",
    "memory_bytes",
    "gpu_capacity",
    "gpu_allocatable",
    "gpu_requested",
    "os_image",
    "kernel_version",
    "kubelet_version",
    "container_runtime",
    "architecture",
    "ready",
    "unschedulable",
)
# Parsed from the labels by the source: stored, but a label change is already recorded
# as a change of ``labels.<key>``, so these produce no InventoryChange of their own.
NODE_DERIVED_FIELDS = (
    "gpu_labels_present",
    "gpu_product",
    "gpu_memory_mib",
    "gpu_count_label",
    "driver_version_label",
    "cuda_runtime_label",
    "compute_capability_label",
    "mig_strategy_label",
    "mig_devices_label",
)
GPU_FIELDS = (
    "node_name",
    "index",
    "product",
    "memory_total_mib",
    "driver_version",
    "cuda_version",
    "compute_capability",
    "pci_bus_id",
    "serial",
    "mig_mode",
    "mig_devices",
    "nvlink_peers",
    "power_limit_w",
)
GPU_METRICS = ("utilization_gpu_pct", "memory_used_mib", "temperature_c", "power_draw_w")
COMPONENT_FIELDS = (
    "name",
    "category",
    "version",
    "images",
    "ready_replicas",
    "desired_replicas",
)
DICT_FIELDS = frozenset({"labels", "capacity", "allocatable"})


def idle_threshold_pct() -> float:
    return float(getattr(settings, "INVENTORY_GPU_IDLE_PCT", 5))


@dataclass
class ReconcileResult:
    added: int = 0
    changed: int = 0
    gone: int = 0
    metrics_updated: int = 0
    warnings: list[str] = field(default_factory=list)


def _plain(value: Any) -> Any:
    """Facts use tuples and dataclasses; the database gives back lists and dicts."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return _plain(asdict(value))
    return value


# Fields whose fact value is a tuple (or tuple of dataclasses) but a list in the
# database; every other field compares as it is. Converting only these keeps a resync
# of tens of thousands of GPUs cheap.
_NODE_LISTS = frozenset({"taints", "roles"})
_GPU_LISTS = frozenset({"mig_devices", "nvlink_peers"})


def _node_values(fact: NodeFacts) -> dict[str, Any]:
    values = {f: getattr(fact, f) for f in (*NODE_FIELDS, *NODE_DERIVED_FIELDS)}
    for name in _NODE_LISTS:
        values[name] = list(values[name])
    return values


def _gpu_values(fact: GpuFacts) -> dict[str, Any]:
    values = {f: getattr(fact, f) for f in GPU_FIELDS}
    values["nvlink_peers"] = list(fact.nvlink_peers)
    values["mig_devices"] = _plain(fact.mig_devices) if fact.mig_devices else []
    return values


def _gpu_metrics(fact: GpuFacts) -> dict[str, Any]:
    return {f: getattr(fact, f) for f in GPU_METRICS}


def _component_values(fact: ComponentFacts) -> dict[str, Any]:
    return {f: _plain(getattr(fact, f)) for f in COMPONENT_FIELDS}


class _Changes:
    """Collects InventoryChange rows; written in one bulk_create at the end."""

    def __init__(self, cluster: Cluster, now: datetime):
        self.cluster = cluster
        self.now = now
        self.rows: list[InventoryChange] = []
        self.pending: list[tuple[InventoryChange, Any]] = []  # rows whose object has no pk yet

    def _make(self, kind, key, change, field_name="", old=None, new=None, object_id=0):
        return InventoryChange(
            cluster=self.cluster,
            at=self.now,
            object_kind=kind,
            object_id=object_id,
            object_key=str(key)[:300],
            change=change,
            field=field_name[:300],
            old_value=old,
            new_value=new,
        )

    def added(self, kind, key, obj) -> None:
        row = self._make(kind, key, ChangeKind.ADDED)
        self.rows.append(row)
        self.pending.append((row, obj))

    def simple(self, kind, key, object_id, change) -> None:
        self.rows.append(self._make(kind, key, change, object_id=object_id))

    def fields(self, kind, key, object_id, diffs: Iterable[tuple[str, Any, Any]]) -> int:
        count = 0
        for name, old, new in diffs:
            if name in DICT_FIELDS and isinstance(old, dict) and isinstance(new, dict):
                for k in sorted(set(old) | set(new)):
                    if old.get(k) != new.get(k):
                        self.rows.append(
                            self._make(
                                kind,
                                key,
                                ChangeKind.CHANGED,
                                f"{name}.{k}",
                                old.get(k),
                                new.get(k),
                                object_id,
                            )
                        )
                        count += 1
            else:
                self.rows.append(
                    self._make(kind, key, ChangeKind.CHANGED, name, old, new, object_id)
                )
                count += 1
        return count

    def write(self, run: SyncRun) -> None:
        for row, obj in self.pending:
            row.object_id = obj.pk
        for row in self.rows:
            row.sync_run = run
        if self.rows:
            InventoryChange.objects.bulk_create(self.rows, batch_size=BATCH)


def _diff(row: Sequence, offset: int, names: Sequence[str], new: dict) -> list[tuple]:
    return [
        (name, row[offset + i], new[name])
        for i, name in enumerate(names)
        if row[offset + i] != new[name]
    ]


def _chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _mark_gone(model, ids: list[int], now: datetime) -> None:
    for chunk in _chunks(ids, 5000):
        model.objects.filter(pk__in=chunk).update(gone_at=now, changed_at=now)


def _dedupe(items, key, result: ReconcileResult, what: str) -> dict:
    by_key = {}
    for item in items:
        k = key(item)
        if k in by_key:
            result.warnings.append(f"duplicate {what} {k!r}: the last one read was kept")
        by_key[k] = item
    return by_key


def _reconcile_nodes(cluster, snapshot, now, changes, result) -> tuple[dict[str, int], list[str]]:
    """Returns {node name: id} for every node the GPUs may refer to, and the names of
    the nodes marked gone."""
    covered = "nodes" in snapshot.covers
    if snapshot.nodes or covered:
        qs = Node.objects.filter(cluster=cluster)
    else:
        names = {g.node_name for g in snapshot.gpus}
        if not names:
            return {}, []
        qs = Node.objects.filter(cluster=cluster, name__in=names)
    if not snapshot.nodes and not covered:
        return dict(qs.values_list("name", "id")), []

    tracked = (*NODE_FIELDS, *NODE_DERIVED_FIELDS)
    existing = {r[1]: r for r in qs.values_list("id", "name", "gone_at", *tracked)}
    facts = _dedupe(snapshot.nodes, lambda n: n.name, result, "node")
    to_create: list[Node] = []
    to_update: list[Node] = []
    update_fields: set[str] = set()
    for name, fact in facts.items():
        new = _node_values(fact)
        row = existing.get(name)
        if row is None:
            obj = Node(cluster=cluster, name=name, first_seen_at=now, changed_at=now, **new)
            to_create.append(obj)
            changes.added(ObjectKind.NODE, name, obj)
            result.added += 1
            continue
        all_diffs = _diff(row, 3, tracked, new)
        returned = row[2] is not None
        if not all_diffs and not returned:
            continue
        diffs = [d for d in all_diffs if d[0] not in NODE_DERIVED_FIELDS]
        obj = Node(id=row[0], changed_at=now, gone_at=None, **new)
        to_update.append(obj)
        update_fields.update(d[0] for d in all_diffs)
        if returned:
            changes.simple(ObjectKind.NODE, name, row[0], ChangeKind.RETURNED)
            update_fields.add("gone_at")
            result.added += 1
        result.changed += changes.fields(ObjectKind.NODE, name, row[0], diffs)
    if to_create:
        Node.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        Node.objects.bulk_update(
            to_update, [*sorted(update_fields), "changed_at"], batch_size=BATCH
        )

    vanished = []
    if covered:
        vanished = [(n, r[0]) for n, r in existing.items() if r[2] is None and n not in facts]
        if vanished and not facts:
            result.warnings.append(
                f"the source listed no nodes while {len(vanished)} are known: none marked gone"
            )
            vanished = []
        elif vanished:
            _mark_gone(Node, [pk for _n, pk in vanished], now)
            for name, pk in vanished:
                changes.simple(ObjectKind.NODE, name, pk, ChangeKind.GONE)
            result.gone += len(vanished)

    ids = {name: r[0] for name, r in existing.items()}
    ids.update({obj.name: obj.pk for obj in to_create})
    return ids, [name for name, _pk in vanished]


def _gpus_gone_with_nodes(cluster, snapshot, node_names, now, changes, result) -> None:
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
        _mark_gone(Gpu, [pk for _u, pk in vanished], now)
        for uuid, pk in vanished:
            changes.simple(ObjectKind.GPU, uuid, pk, ChangeKind.GONE)
        result.gone += len(vanished)


def _idle_since(util, current, now):
    if util is None:
        return current
    if util <= idle_threshold_pct():
        return current or now
    return None


def _reconcile_gpus(cluster, snapshot, now, node_ids, changes, result) -> None:
    full = "gpus" in snapshot.covers
    metrics_only = not full and "gpu_metrics" in snapshot.covers
    if not full and not metrics_only:
        return
    facts = _dedupe(snapshot.gpus, lambda g: g.uuid, result, "GPU")
    gpu_nodes = set(snapshot.gpu_nodes)
    if len(facts) > SCOPED_LOAD_LIMIT or len(gpu_nodes) > SCOPED_LOAD_LIMIT:
        # A cluster-wide snapshot: loading every GPU of the cluster is cheaper than
        # sending (and planning) an IN list of tens of thousands of UUIDs.
        scope = Q()
    else:
        scope = Q(uuid__in=list(facts))
        if full and gpu_nodes:
            scope |= Q(node_name__in=list(gpu_nodes))
    columns = ("id", "uuid", "gone_at", "node_id", "idle_since", *GPU_FIELDS, *GPU_METRICS)
    off_fields = 5
    off_metrics = off_fields + len(GPU_FIELDS)
    existing = {
        r[1]: r
        for r in Gpu.objects.filter(scope, cluster=cluster).values_list(*columns)
        if full or r[2] is None  # metrics never bring back a gone GPU
    }
    to_create: list[Gpu] = []
    to_update: list[Gpu] = []
    update_fields: set[str] = set()
    for uuid, fact in facts.items():
        row = existing.get(uuid)
        metrics = _gpu_metrics(fact)
        if row is None:
            if metrics_only:
                result.warnings.append(f"metrics for unknown GPU {uuid} ignored")
                continue
            obj = Gpu(
                cluster=cluster,
                uuid=uuid,
                node_id=node_ids.get(fact.node_name),
                first_seen_at=now,
                changed_at=now,
                last_seen_at=now,
                idle_since=_idle_since(fact.utilization_gpu_pct, None, now),
                **_gpu_values(fact),
                **metrics,
            )
            to_create.append(obj)
            changes.added(ObjectKind.GPU, uuid, obj)
            result.added += 1
            continue
        values = (
            _gpu_values(fact)
            if full
            else {f: row[off_fields + i] for i, f in enumerate(GPU_FIELDS)}
        )
        # Metrics a source does not read (None) keep their last value.
        metrics = {
            f: (metrics[f] if metrics[f] is not None else row[off_metrics + i])
            for i, f in enumerate(GPU_METRICS)
        }
        diffs = _diff(row, off_fields, GPU_FIELDS, values) if full else []
        metric_diffs = _diff(row, off_metrics, GPU_METRICS, metrics)
        node_id = node_ids.get(values["node_name"], row[3]) if full else row[3]
        idle = _idle_since(metrics["utilization_gpu_pct"], row[4], now)
        returned = full and row[2] is not None
        relinked = node_id != row[3]
        if not (diffs or metric_diffs or returned or relinked or idle != row[4]):
            continue
        obj = Gpu(
            id=row[0],
            node_id=node_id,
            changed_at=now,
            gone_at=None,
            idle_since=idle,
            last_seen_at=now,
            **values,
            **metrics,
        )
        to_update.append(obj)
        update_fields.update(d[0] for d in diffs)
        update_fields.update(d[0] for d in metric_diffs)
        update_fields.update(("node", "idle_since", "last_seen_at"))
        if diffs or returned:
            update_fields.add("changed_at")
        if metric_diffs:
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
        vanished = []
        for uuid, r in existing.items():
            node_name = r[off_fields]
            if r[2] is not None or uuid in facts or node_name not in gpu_nodes:
                continue
            vanished.append((uuid, r[0]))
        if vanished:
            _mark_gone(Gpu, [pk for _u, pk in vanished], now)
            for uuid, pk in vanished:
                changes.simple(ObjectKind.GPU, uuid, pk, ChangeKind.GONE)
            result.gone += len(vanished)


def _link_orphan_gpus(cluster, node_ids: dict[str, int], created_nodes: bool) -> None:
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


def _reconcile_components(cluster, snapshot, now, changes, result) -> None:
    covered = "components" in snapshot.covers
    if not snapshot.components and not covered:
        return
    existing = {
        (r[2], r[3], r[4]): r
        for r in Component.objects.filter(cluster=cluster).values_list(
            "id", "gone_at", "namespace", "kind", "workload_name", *COMPONENT_FIELDS
        )
    }
    facts = _dedupe(snapshot.components, lambda c: c.key, result, "workload")
    to_create: list[Component] = []
    to_update: list[Component] = []
    update_fields: set[str] = set()
    for key, fact in facts.items():
        new = _component_values(fact)
        label = "/".join(key)
        row = existing.get(key)
        if row is None:
            obj = Component(
                cluster=cluster,
                namespace=fact.namespace,
                kind=fact.kind,
                workload_name=fact.workload_name,
                first_seen_at=now,
                changed_at=now,
                **new,
            )
            to_create.append(obj)
            changes.added(ObjectKind.COMPONENT, label, obj)
            result.added += 1
            continue
        diffs = _diff(row, 5, COMPONENT_FIELDS, new)
        returned = row[1] is not None
        if not diffs and not returned:
            continue
        to_update.append(Component(id=row[0], changed_at=now, gone_at=None, **new))
        update_fields.update(d[0] for d in diffs)
        if returned:
            changes.simple(ObjectKind.COMPONENT, label, row[0], ChangeKind.RETURNED)
            update_fields.add("gone_at")
            result.added += 1
        result.changed += changes.fields(ObjectKind.COMPONENT, label, row[0], diffs)
    if to_create:
        Component.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        Component.objects.bulk_update(
            to_update, [*sorted(update_fields), "changed_at"], batch_size=BATCH
        )
    if covered:
        vanished = [(k, r[0]) for k, r in existing.items() if r[1] is None and k not in facts]
        if vanished and not facts:
            result.warnings.append(
                f"the source listed no workloads while {len(vanished)} are known: none marked gone"
            )
        elif vanished:
            _mark_gone(Component, [pk for _k, pk in vanished], now)
            for key, pk in vanished:
                changes.simple(ObjectKind.COMPONENT, "/".join(key), pk, ChangeKind.GONE)
            result.gone += len(vanished)


def reconcile(*, cluster: Cluster, snapshot: Snapshot, run: SyncRun) -> ReconcileResult:
    """Apply ``snapshot`` to ``cluster``. Call inside a transaction; ``run`` is an unsaved
    SyncRun that is saved with the counts (its ``started_at`` is the time of the changes).
    """
    now = run.started_at or timezone.now()
    result = ReconcileResult(warnings=list(snapshot.warnings))
    changes = _Changes(cluster, now)
    node_ids, gone_nodes = _reconcile_nodes(cluster, snapshot, now, changes, result)
    created_nodes = any(row.object_kind == ObjectKind.NODE for row, _o in changes.pending)
    _reconcile_gpus(cluster, snapshot, now, node_ids, changes, result)
    _gpus_gone_with_nodes(cluster, snapshot, gone_nodes, now, changes, result)
    _link_orphan_gpus(cluster, node_ids, created_nodes)
    _reconcile_components(cluster, snapshot, now, changes, result)

    run.nodes_seen = len(snapshot.nodes)
    run.gpus_seen = len(snapshot.gpus)
    run.components_seen = len(snapshot.components)
    run.added, run.changed, run.gone = result.added, result.changed, result.gone
    run.metrics_updated = result.metrics_updated
    run.warnings = result.warnings[:100]
    run.duration_ms = max(0, int((timezone.now() - run.started_at).total_seconds() * 1000))
    run.save()
    changes.write(run)
    return result
