"""Clusters and their sources as people configure them, and "Sync now": each write
checks policy and leaves its audit row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from inventory.choices import PULL_KINDS, SourceKind, SyncStatus
from inventory.models import Cluster, InventorySource, validate_source_config
from inventory.services.sync import source_read, source_sync
from portal.audit import audit_record
from portal.policy import require

SOURCE_FIELDS = ("name", "kind", "config", "enabled", "sync_interval_seconds")
CLUSTER_FIELDS = ("name", "description", "sync_interval_seconds")


@dataclass(frozen=True)
class ConnectionTest:
    """What one read of a source found; nothing of it is stored."""

    ok: bool
    nodes: int = 0
    gpus: int = 0  # GPUs read (agents, DCGM) or, for Kubernetes, the nodes' GPU capacity
    components: int = 0
    certificates: int = 0
    volumes: int = 0
    warnings: tuple[str, ...] = ()
    error: str = ""


def source_test(*, actor, cluster: Cluster, kind: str, config: dict) -> ConnectionTest:
    """*Test connection*: read the source once as configured (saved or not) and say what
    it found. Writes nothing: no SyncRun, no inventory, no audit row."""
    require(actor, "inventory.manage", cluster)
    errors = validate_source_config(kind, config)
    if errors:
        return ConnectionTest(ok=False, error=" ".join(str(e) for e in errors))
    if kind == SourceKind.GPU_AGENT:
        return ConnectionTest(
            ok=False,
            error=str(_("GPU agents push their reports: there is nothing to read from here.")),
        )
    try:
        snapshot = source_read(source=InventorySource(cluster=cluster, kind=kind, config=config))
    except Exception as exc:  # a broken source is an answer here, not a failure
        return ConnectionTest(ok=False, error=f"{exc.__class__.__name__}: {exc}")
    return ConnectionTest(
        ok=True,
        nodes=len(snapshot.nodes),
        gpus=len(snapshot.gpus) or sum(n.gpu_capacity for n in snapshot.nodes),
        components=len(snapshot.components),
        certificates=len(snapshot.certificates),
        volumes=len(snapshot.volumes),
        warnings=tuple(snapshot.warnings[:20]),
    )


@transaction.atomic
def source_create(
    *,
    actor,
    cluster: Cluster,
    name: str,
    kind: str,
    config: dict | None = None,
    enabled: bool = True,
    sync_interval_seconds: int | None = None,
) -> InventorySource:
    """A new source; without its own interval it syncs at the cluster's."""
    require(actor, "inventory.manage", cluster)
    if sync_interval_seconds is None:
        sync_interval_seconds = cluster.sync_interval_seconds
    source = InventorySource(
        cluster=cluster,
        name=name,
        kind=kind,
        config=config or {},
        enabled=enabled,
        sync_interval_seconds=sync_interval_seconds,
    )
    source.full_clean()
    source.save()
    audit_record(
        actor=actor,
        verb="inventory.source_create",
        obj=source,
        after={f: getattr(source, f) for f in SOURCE_FIELDS},
    )
    return source


def _apply_changes(obj, changes: dict[str, Any], fields, validate, *, actor, verb: str):
    """Set the allowed fields, validate, save and audit before/after: the one way a
    cluster or a source is edited."""
    unknown = set(changes) - set(fields)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(sorted(unknown))}")
    before = {f: getattr(obj, f) for f in fields}
    for name, value in changes.items():
        setattr(obj, name, value)
    validate(obj)
    obj.save()
    audit_record(
        actor=actor, verb=verb, obj=obj, before=before, after={f: getattr(obj, f) for f in fields}
    )
    return obj


@transaction.atomic
def source_update(*, actor, source: InventorySource, **changes: Any) -> InventorySource:
    require(actor, "inventory.manage", source)
    return _apply_changes(
        source,
        changes,
        SOURCE_FIELDS,
        InventorySource.full_clean,
        actor=actor,
        verb="inventory.source_update",
    )


@transaction.atomic
def source_delete(*, actor, source: InventorySource) -> None:
    """The source goes; what it found stays, and its SyncRuns keep their kind."""
    require(actor, "inventory.manage", source)
    audit_record(
        actor=actor,
        verb="inventory.source_delete",
        obj=source,
        before={f: getattr(source, f) for f in SOURCE_FIELDS},
    )
    source.delete()


@transaction.atomic
def cluster_create(
    *,
    actor,
    name: str,
    description: str = "",
    sync_interval_seconds: int = 300,
    is_demo: bool = False,
) -> Cluster:
    if actor is not None:
        require(actor, "inventory.manage")
    cluster = Cluster(
        name=name,
        description=description,
        sync_interval_seconds=sync_interval_seconds,
        is_demo=is_demo,
    )
    cluster.full_clean()
    cluster.save()
    audit_record(
        actor=actor,
        verb="inventory.cluster_create",
        obj=cluster,
        after={f: getattr(cluster, f) for f in CLUSTER_FIELDS},
    )
    return cluster


@transaction.atomic
def cluster_update(*, actor, cluster: Cluster, **changes: Any) -> Cluster:
    require(actor, "inventory.manage", cluster)
    return _apply_changes(
        cluster,
        changes,
        CLUSTER_FIELDS,
        Cluster.full_clean,
        actor=actor,
        verb="inventory.cluster_update",
    )


@dataclass(frozen=True)
class SyncRequest:
    """What "Sync now" started: the pull sources to be read, and whether the GPU agents
    were asked for reports. Neither means every source of the cluster is disabled."""

    sources: tuple[str, ...]
    agents: bool

    @property
    def started(self) -> bool:
        return bool(self.sources) or self.agents


@transaction.atomic
def cluster_sync_request(*, actor, cluster: Cluster) -> SyncRequest:
    """ "Sync now": queued after commit, so the worker sees the audit row's transaction.
    Nothing is queued (and nothing audited) when no enabled source could run."""
    from inventory.tasks import agent_broadcast, sync_cluster

    require(actor, "inventory.manage", cluster)
    enabled = list(
        cluster.sources.filter(enabled=True).order_by("name").values_list("name", "kind")
    )
    request = SyncRequest(
        sources=tuple(name for name, kind in enabled if kind in PULL_KINDS),
        agents=any(kind == SourceKind.GPU_AGENT for _name, kind in enabled),
    )
    if not request.started:
        return request
    audit_record(
        actor=actor,
        verb="inventory.sync_request",
        obj=cluster,
        after={"sources": list(request.sources), "agents": request.agents},
    )
    if request.sources:
        transaction.on_commit(lambda: sync_cluster.delay(cluster.pk))
    if request.agents:
        transaction.on_commit(lambda: agent_broadcast(cluster.pk))
    return request


DEMO_CLUSTER = "demo (sample data)"


def demo_inventory_seed(*, stdout=None, demo: bool = False) -> None:
    """Seeder: a clearly labelled demo cluster read from inventory/demo/, synced once."""
    if not demo:
        return
    cluster = Cluster.objects.filter(name=DEMO_CLUSTER).first()
    if cluster is None:
        cluster = cluster_create(
            actor=None,
            name=DEMO_CLUSTER,
            description="Sample data shipped with the portal, not a real cluster.",
            is_demo=True,
        )
    source, created = InventorySource.objects.get_or_create(
        cluster=cluster,
        name="demo files",
        # Enabled like a real source: beat, or under `make run` the in-process
        # scheduler, reads it on its interval, so the demo cluster is live too.
        defaults={
            "kind": SourceKind.FILES,
            "config": {"path": "inventory/demo/cluster"},
            "enabled": True,
        },
    )
    if created:
        audit_record(actor=None, verb="inventory.source_create", obj=source)
    if not source.sync_runs.filter(status=SyncStatus.SUCCEEDED).exists():
        run = source_sync(source=source)
        if stdout is not None:
            stdout.write(
                f"demo inventory: {run.status} ({run.added} added){' ' + run.error if run.error else ''}"
            )
