"""What the reconciler compares and how it records differences."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings

from inventory.choices import ChangeKind
from inventory.models import Cluster, InventoryChange, SyncRun
from inventory.sources.facts import ComponentFacts, GpuFacts, NodeFacts

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


def plain(value: Any) -> Any:
    """Facts use tuples and dataclasses; the database gives back lists and dicts."""
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if hasattr(value, "__dataclass_fields__"):
        return plain(asdict(value))
    return value


# Fields whose fact value is a tuple (or tuple of dataclasses) but a list in the
# database; every other field compares as it is. Converting only these keeps a resync
# of tens of thousands of GPUs cheap.
_NODE_LISTS = frozenset({"taints", "roles"})
_GPU_LISTS = frozenset({"mig_devices", "nvlink_peers"})


def node_values(fact: NodeFacts) -> dict[str, Any]:
    values = {f: getattr(fact, f) for f in (*NODE_FIELDS, *NODE_DERIVED_FIELDS)}
    for name in _NODE_LISTS:
        values[name] = list(values[name])
    return values


def gpu_values(fact: GpuFacts) -> dict[str, Any]:
    values = {f: getattr(fact, f) for f in GPU_FIELDS}
    values["nvlink_peers"] = list(fact.nvlink_peers)
    values["mig_devices"] = plain(fact.mig_devices) if fact.mig_devices else []
    return values


def gpu_metrics(fact: GpuFacts) -> dict[str, Any]:
    return {f: getattr(fact, f) for f in GPU_METRICS}


def component_values(fact: ComponentFacts) -> dict[str, Any]:
    return {f: plain(getattr(fact, f)) for f in COMPONENT_FIELDS}


class Changes:
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

    def ids_by_kind(self) -> dict[str, set[int]]:
        """The ids of every object with a change, by kind (after the rows were written)."""
        for row, obj in self.pending:
            row.object_id = obj.pk
        self.pending = []
        ids: dict[str, set[int]] = {}
        for row in self.rows:
            ids.setdefault(str(row.object_kind), set()).add(row.object_id)
        return ids

    def write(self, run: SyncRun) -> None:
        for row, obj in self.pending:
            row.object_id = obj.pk
        for row in self.rows:
            row.sync_run = run
        if self.rows:
            InventoryChange.objects.bulk_create(self.rows, batch_size=BATCH)


def diff(row: Sequence, offset: int, names: Sequence[str], new: dict) -> list[tuple]:
    return [
        (name, row[offset + i], new[name])
        for i, name in enumerate(names)
        if row[offset + i] != new[name]
    ]


def chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def mark_gone(model, ids: list[int], now: datetime) -> None:
    for chunk in chunks(ids, 5000):
        model.objects.filter(pk__in=chunk).update(gone_at=now, changed_at=now)


def dedupe(items, key, result: ReconcileResult, what: str) -> dict:
    by_key = {}
    for item in items:
        k = key(item)
        if k in by_key:
            result.warnings.append(f"duplicate {what} {k!r}: the last one read was kept")
        by_key[k] = item
    return by_key
