"""Write a snapshot into the inventory in bulk: the only writer of nodes, GPUs,
components and changes.

The cost of a sync is a constant number of queries per batch, never per row: the
current rows of each kind are loaded in one query (as tuples, to keep memory low),
compared in Python, and only the differences are written with ``bulk_create`` /
``bulk_update`` and one ``UPDATE`` marking what is gone. A snapshot that matches the
database writes nothing but its SyncRun and its usage sample.

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
- Every read of nodes, GPUs or metrics also adds one sample per node it read to the
  hour's row of the usage history (``inventory.reconcile.usage``): one more statement
  per sync, the only write of a sync where nothing changed besides its SyncRun.
"""

from __future__ import annotations

from django.utils import timezone

from inventory.choices import ObjectKind
from inventory.models import Cluster, SyncRun
from inventory.reconcile.common import (
    COMPONENT_FIELDS,
    GPU_FIELDS,
    GPU_METRICS,
    NODE_DERIVED_FIELDS,
    NODE_FIELDS,
    Changes,
    ReconcileResult,
)
from inventory.reconcile.components import reconcile_components
from inventory.reconcile.gpus import gpus_gone_with_nodes, link_orphan_gpus, reconcile_gpus
from inventory.reconcile.nodes import reconcile_nodes
from inventory.reconcile.software import reconcile_software
from inventory.reconcile.usage import usage_sample
from inventory.sources.facts import Snapshot

__all__ = [
    "COMPONENT_FIELDS",
    "GPU_FIELDS",
    "GPU_METRICS",
    "NODE_DERIVED_FIELDS",
    "NODE_FIELDS",
    "ReconcileResult",
    "reconcile",
]


def reconcile(*, cluster: Cluster, snapshot: Snapshot, run: SyncRun) -> ReconcileResult:
    """Apply ``snapshot`` to ``cluster``. Call inside a transaction; ``run`` is an unsaved
    SyncRun that is saved with the counts (its ``started_at`` is the time of the changes).
    """
    now = run.started_at or timezone.now()
    result = ReconcileResult(warnings=list(snapshot.warnings))
    changes = Changes(cluster, now)
    node_ids, gone_nodes = reconcile_nodes(cluster, snapshot, now, changes, result)
    created_nodes = any(row.object_kind == ObjectKind.NODE for row, _o in changes.pending)
    reconcile_gpus(cluster, snapshot, now, node_ids, changes, result)
    gpus_gone_with_nodes(cluster, snapshot, gone_nodes, now, changes, result)
    link_orphan_gpus(cluster, node_ids, created_nodes)
    reconcile_components(cluster, snapshot, now, changes, result)
    reconcile_software(cluster, snapshot, now, changes, result)
    usage_sample(cluster=cluster, snapshot=snapshot, now=now)

    run.nodes_seen = len(snapshot.nodes)
    run.gpus_seen = len(snapshot.gpus)
    run.components_seen = len(snapshot.components)
    run.added, run.changed, run.gone = result.added, result.changed, result.gone
    run.metrics_updated = result.metrics_updated
    run.warnings = result.warnings[:100]
    run.gpu_report_errors = dict(snapshot.gpu_report_errors)
    run.duration_ms = max(0, int((timezone.now() - run.started_at).total_seconds() * 1000))
    # For receivers of the SyncRun's post_save (the search index): what to re-read,
    # rather than the whole cluster. Not a column; only set on this instance.
    run.changed_ids = changes.ids_by_kind()
    run.save()
    changes.write(run)
    return result
