"""Every write of the inventory app.

Syncs run as the system (beat, the CLI, a GPU agent's report) and leave their trace as
SyncRuns and InventoryChanges (``sync``); what people do (configure a cluster or a
source, ask for a sync) goes through policy and the audit log (``clusters``).
"""

from inventory.locks import ClusterBusy
from inventory.services.clusters import (
    DEMO_CLUSTER,
    ConnectionTest,
    SyncRequest,
    cluster_create,
    cluster_sync_request,
    cluster_update,
    demo_inventory_seed,
    source_create,
    source_delete,
    source_test,
    source_update,
)
from inventory.services.sync import (
    cluster_sync,
    gpu_report_ingest,
    source_read,
    source_sync,
    syncruns_prune,
    syncs_dispatch_due,
    watch_batch_apply,
)

__all__ = [
    "DEMO_CLUSTER",
    "ClusterBusy",
    "ConnectionTest",
    "SyncRequest",
    "cluster_create",
    "cluster_sync",
    "cluster_sync_request",
    "cluster_update",
    "demo_inventory_seed",
    "gpu_report_ingest",
    "source_create",
    "source_delete",
    "source_read",
    "source_sync",
    "source_test",
    "source_update",
    "syncruns_prune",
    "syncs_dispatch_due",
    "watch_batch_apply",
]
