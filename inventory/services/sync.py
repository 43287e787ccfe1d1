"""Syncs: the inventory's writes that run as the system (beat, the CLI, a watch, a GPU
agent's report). They leave their trace as SyncRuns and InventoryChanges, not in the
audit log; a failed or partial read changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from inventory.choices import PULL_KINDS, SourceKind, SyncStatus
from inventory.locks import cluster_lock
from inventory.metrics import observe_sync
from inventory.models import Cluster, InventorySource, SyncRun
from inventory.reconcile import reconcile
from inventory.sources.facts import GpuFacts, Snapshot, SourceError

log = logging.getLogger(__name__)


def _resolve_path(path: str) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else Path(settings.BASE_DIR) / candidate


def kubernetes_reader(config: dict | None, **overrides: Any):
    """The KubernetesSource a kubernetes source's configuration describes."""
    from inventory.sources.kubernetes import KubernetesSource

    config = config or {}
    return KubernetesSource(
        kubeconfig=config.get("kubeconfig") or None,
        context=config.get("context") or None,
        in_cluster=bool(config.get("in_cluster")),
        **{k: config[k] for k in ("page_size", "request_timeout") if k in config},
        **overrides,
    )


def source_read(*, source: InventorySource) -> Snapshot:
    """Ask the outside world; raises SourceError (or anything a broken source raises)."""
    config = source.config or {}
    if source.kind == SourceKind.KUBERNETES:
        reader = kubernetes_reader(config)
        try:
            return reader.read()
        finally:
            reader.close()
    if source.kind == SourceKind.FILES:
        from inventory.sources.files import FileSource

        return FileSource(_resolve_path(config["path"])).read()
    if source.kind == SourceKind.DCGM:
        from inventory.sources.dcgm import scrape_dcgm

        # One exporter per GPU node; one that fails fails the read (no partial data).
        merged = Snapshot(source="dcgm", covers=frozenset({"gpu_metrics"}))
        for url in config["urls"]:
            part = scrape_dcgm(url)
            merged.gpus.extend(part.gpus)
            merged.warnings.extend(part.warnings)
        return merged
    raise SourceError(f"{source.kind} sources push their reports; they are not read")


def _failed_run(*, cluster_id: int, source, kind: str, scope: str, started, error: str):
    duration = int((timezone.now() - started).total_seconds() * 1000)
    return SyncRun.objects.create(
        cluster_id=cluster_id,
        source=source,
        source_kind=kind,
        scope=scope[:253],
        status=SyncStatus.FAILED,
        started_at=started,
        duration_ms=max(0, duration),
        error=error[:10_000],
    )


def _apply(*, cluster_id: int, source, kind: str, scope: str, started, snapshot) -> SyncRun:
    with transaction.atomic():
        # A row lock on the cluster: two writers of one cluster never interleave, even
        # if the Redis lock was lost (Redis restarted mid-sync).
        cluster = Cluster.objects.select_for_update().get(pk=cluster_id)
        run = SyncRun(
            cluster=cluster,
            source=source,
            source_kind=kind,
            scope=scope[:253],
            status=SyncStatus.SUCCEEDED,
            started_at=started,
        )
        reconcile(cluster=cluster, snapshot=snapshot, run=run)
        return run


def _observe(run: SyncRun, cluster_name: str, source_name: str) -> SyncRun:
    observe_sync(cluster_name, source_name, run.status, run.duration_ms / 1000)
    return run


def source_sync(*, source: InventorySource) -> SyncRun:
    """Read one pull source and reconcile it. A failed or partial read changes nothing
    and is recorded as a failed SyncRun; database errors propagate (the task retries)."""
    run = _source_sync(source=source)
    return _observe(run, source.cluster.name, source.name)


def _source_sync(*, source: InventorySource) -> SyncRun:
    started = timezone.now()
    try:
        snapshot = source_read(source=source)
    except Exception as exc:  # a broken source must never break the sync of the others
        log.warning("inventory source %s failed: %s", source.pk, exc)
        return _failed_run(
            cluster_id=source.cluster_id,
            source=source,
            kind=source.kind,
            scope="",
            started=started,
            error=f"{exc.__class__.__name__}: {exc}",
        )
    return _apply(
        cluster_id=source.cluster_id,
        source=source,
        kind=source.kind,
        scope="",
        started=started,
        snapshot=snapshot,
    )


def watch_batch_apply(*, source: InventorySource, snapshot: Snapshot) -> SyncRun | None:
    """What a watch saw (inventory.watcher), through the same reconciler as a sync.

    Recorded as a SyncRun with scope "watch" when something changed; a batch that
    changed nothing (a kubelet heartbeat, a pod without GPUs) is rolled back and leaves
    no trace, or a busy cluster would write a run every second.
    """
    from inventory.watcher import WATCH_SCOPE

    with transaction.atomic():
        run = _apply(
            cluster_id=source.cluster_id,
            source=source,
            kind=source.kind,
            scope=WATCH_SCOPE,
            started=timezone.now(),
            snapshot=snapshot,
        )
        if not (run.added or run.changed or run.gone or run.warnings):
            transaction.set_rollback(True)
            return None
    return run


def cluster_sync(*, cluster_id: int, source_ids: list[int] | None = None) -> list[SyncRun]:
    """Sync the cluster's enabled pull sources (or the given ones) under the cluster lock.

    Raises ClusterBusy when another sync of the cluster is running.
    """
    sources = (
        InventorySource.objects.filter(cluster_id=cluster_id, enabled=True, kind__in=PULL_KINDS)
        .select_related("cluster")
        .order_by("kind", "pk")
    )
    if source_ids is not None:
        sources = sources.filter(pk__in=source_ids)
    runs = []
    with cluster_lock(cluster_id):
        for source in sources:
            runs.append(source_sync(source=source))
    return runs


def gpu_report_ingest(
    *,
    cluster_id: int,
    node_name: str,
    facts: list[dict[str, Any]] | None,
    collected_at: str | datetime | None,
    error: str = "",
    warnings: list[str] | None = None,
) -> SyncRun | None:
    """A GPU agent's report of its node: the GPUs of that node, nothing else.

    Idempotent: the same report delivered twice changes nothing the second time, and a
    report older than the node's last one is dropped (retries deliver out of order).
    """
    started = timezone.now()
    if isinstance(collected_at, str):
        collected_at = parse_datetime(collected_at)
    source = (
        InventorySource.objects.filter(cluster_id=cluster_id, kind=SourceKind.GPU_AGENT)
        .order_by("-enabled", "pk")
        .first()
    )
    cluster_name = Cluster.objects.filter(pk=cluster_id).values_list("name", flat=True).first()
    if cluster_name is None:
        log.warning("GPU report for unknown cluster %s from %s dropped", cluster_id, node_name)
        return None
    run = _gpu_report_apply(
        cluster_id=cluster_id,
        node_name=node_name,
        facts=facts,
        collected_at=collected_at,
        error=error,
        warnings=warnings,
        source=source,
        started=started,
    )
    if run is not None:
        _observe(run, cluster_name, source.name if source else SourceKind.GPU_AGENT.value)
    return run


def _gpu_report_apply(
    *, cluster_id, node_name, facts, collected_at, error, warnings, source, started
) -> SyncRun | None:
    if collected_at is not None:
        last = SyncRun.objects.filter(
            cluster_id=cluster_id,
            source_kind=SourceKind.GPU_AGENT,
            scope=node_name,
            status=SyncStatus.SUCCEEDED,
        ).aggregate(last=Max("started_at"))["last"]
        if last is not None and collected_at < last:
            log.info("stale GPU report of %s (%s < %s) dropped", node_name, collected_at, last)
            return None
        started = collected_at
    kind = SourceKind.GPU_AGENT
    if error or facts is None:
        return _failed_run(
            cluster_id=cluster_id,
            source=source,
            kind=kind,
            scope=node_name,
            started=started,
            error=error or "the agent sent no GPU list",
        )
    try:
        gpus = [GpuFacts.from_dict(item) for item in facts]
        if any(g.node_name != node_name or not g.uuid for g in gpus):
            raise SourceError("the report holds GPUs of another node or without a UUID")
    except (TypeError, ValueError, AttributeError, SourceError) as exc:
        return _failed_run(
            cluster_id=cluster_id,
            source=source,
            kind=kind,
            scope=node_name,
            started=started,
            error=f"malformed GPU report: {exc}",
        )
    snapshot = Snapshot(
        source="gpu_agent",
        gpus=gpus,
        covers=frozenset({"gpus"}),
        gpu_nodes=frozenset({node_name}),
        warnings=list(warnings or []),
    )
    return _apply(
        cluster_id=cluster_id,
        source=source,
        kind=kind,
        scope=node_name,
        started=started,
        snapshot=snapshot,
    )


def syncs_dispatch_due(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Enqueue a sync for every cluster with a due pull source and a GPU-agent broadcast
    for every due agent source. A cache marker with the interval as TTL keeps a sync
    queued behind a slow one from being queued again at every beat tick."""
    from inventory.tasks import agent_broadcast, sync_cluster

    now = now or timezone.now()
    sources = (
        InventorySource.objects.filter(enabled=True)
        .annotate(last_started=Max("sync_runs__started_at"))
        .only("pk", "cluster_id", "kind", "sync_interval_seconds")
    )
    due: dict[int, list[int]] = {}
    agent_clusters: list[int] = []
    for source in sources:
        interval = source.sync_interval_seconds
        if source.kind in PULL_KINDS:
            last = source.last_started
            if last is not None and (now - last).total_seconds() < interval:
                continue
            if cache.add(f"inventory:dispatched:{source.pk}", 1, interval):
                due.setdefault(source.cluster_id, []).append(source.pk)
        elif cache.add(f"inventory:agent-broadcast:{source.pk}", 1, interval):
            agent_clusters.append(source.cluster_id)
    for cluster_id, ids in due.items():
        sync_cluster.delay(cluster_id, ids)
    for cluster_id in agent_clusters:
        agent_broadcast(cluster_id)
    return {"clusters": sorted(due), "agent_clusters": sorted(agent_clusters)}


def syncruns_prune(*, now: datetime | None = None, days: int | None = None) -> int:
    """Delete runs older than the retention that changed nothing: GPU agents alone
    write one per node per interval. Runs with changes stay (the change feed points
    at them), and so does each source's and node's latest run."""
    from datetime import timedelta

    from django.db.models import Q

    days = days if days is not None else settings.INVENTORY_SYNC_RUN_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    latest = (
        SyncRun.objects.values("source_kind", "cluster_id", "scope")
        .annotate(last=Max("id"))
        .values("last")
    )
    deleted, _ = (
        SyncRun.objects.filter(started_at__lt=cutoff)
        .filter(Q(added=0, changed=0, gone=0) | Q(status=SyncStatus.FAILED))
        .exclude(pk__in=latest)
        .delete()
    )
    return deleted
