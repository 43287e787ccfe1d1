"""The inventory's Prometheus metrics: syncs by cluster, source and result, and the open
findings by severity (refreshed at each scrape, from ``InventoryConfig.ready()``).
They are served with the portal's own by ``portal.metrics``' /metrics."""

from __future__ import annotations

import time
from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

SYNC_RUNS = Counter(
    "portal_inventory_syncs_total",
    "Inventory syncs finished, by cluster, source and result.",
    ["cluster", "source", "status"],
)
SYNC_DURATION = Histogram(
    "portal_inventory_sync_duration_seconds",
    "Duration of inventory syncs, by cluster and source.",
    ["cluster", "source"],
    buckets=(0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0),
)
SYNC_LAST_SUCCESS = Gauge(
    "portal_inventory_last_success_timestamp_seconds",
    "Unix time of the last successful sync, by cluster and source.",
    ["cluster", "source"],
    multiprocess_mode="max",
)
FINDINGS = Gauge(
    "portal_inventory_findings",
    "Open inventory findings, by severity, as last evaluated.",
    ["severity"],
    multiprocess_mode="mostrecent",
)

SYNC_OK_STATUSES = frozenset({"ok", "success", "succeeded"})
_seen_severities: set[str] = set()


def observe_sync(cluster: str, source: str, status: str, seconds: float) -> None:
    """Record one finished sync: ``status`` is the run's result ("ok", "partial",
    "failed", …), ``seconds`` its duration."""
    status = status.lower()
    SYNC_RUNS.labels(cluster, source, status).inc()
    SYNC_DURATION.labels(cluster, source).observe(max(seconds, 0.0))
    if status in SYNC_OK_STATUSES:
        SYNC_LAST_SUCCESS.labels(cluster, source).set(time.time())


def set_findings(count_by_severity: Mapping[str, int]) -> None:
    """Publish the current number of open findings per severity. A severity seen
    before and missing now is published as 0, not left at its old value."""
    for severity in _seen_severities - set(count_by_severity):
        FINDINGS.labels(severity).set(0)
    for severity, count in count_by_severity.items():
        FINDINGS.labels(severity).set(count)
        _seen_severities.add(severity)
