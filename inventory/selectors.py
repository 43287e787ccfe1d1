"""Reads of the inventory, each with a constant number of queries whatever the size
of the cluster."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.choices import ComponentCategory, SourceKind, SyncStatus
from inventory.models import (
    Cluster,
    Component,
    Gpu,
    InventoryChange,
    InventorySource,
    Node,
    SyncRun,
)

FIGURES_TTL = 300


def idle_after() -> timedelta:
    return timedelta(hours=float(getattr(settings, "INVENTORY_GPU_IDLE_HOURS", 24)))


def inventory_generation() -> str:
    """Changes whenever a sync or a GPU report records its run: the key under which
    figures derived from the whole inventory are cached (one indexed read)."""
    last = SyncRun.objects.order_by("-id").values_list("id", "started_at").first()
    return "0" if last is None else f"{last[0]}.{last[1].timestamp():.0f}"


def cached_until_sync(key: str, build, *, ttl: int = FIGURES_TTL):
    """``build()``, cached until a sync or GPU report records its next run.

    A live watch records runs every few seconds on a busy cluster, so a value is kept
    for at least ``INVENTORY_FIGURES_MIN_SECONDS`` (10) even when newer runs exist:
    a page never recomputes whole-inventory figures more often than that, and never
    shows figures older than that after a change. ``ttl`` bounds what time alone
    changes (a GPU idle for long, a source going stale)."""
    generation = inventory_generation()
    entry = cache.get(f"inventory:{key}")
    now = time.time()
    min_age = float(getattr(settings, "INVENTORY_FIGURES_MIN_SECONDS", 10))
    if entry is not None:
        built_for, built_at, value = entry
        if built_for == generation or now - built_at < min_age:
            return value
    value = build()
    cache.set(f"inventory:{key}", (generation, now, value), ttl)
    return value


def gpus_on_node(condition: Q | None = None) -> Coalesce:
    """The number of present GPUs (matching ``condition``) reported on the outer node:
    a correlated count over the partial index on present GPUs by node."""
    gpus = Gpu.objects.present().filter(node_id=OuterRef("pk"))
    if condition is not None:
        gpus = gpus.filter(condition)
    counted = gpus.order_by().values("node_id").annotate(n=Count("id")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def sources_with_status(cluster_id: int | None = None) -> QuerySet[InventorySource]:
    """Sources with their last success, last run status and last error (from SyncRuns).

    GPU-agent sources have one run per node report; their last run is the last report.
    """
    runs = SyncRun.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-id")
    qs = InventorySource.objects.select_related("cluster").annotate(
        last_success_at=Subquery(runs.filter(status=SyncStatus.SUCCEEDED).values("started_at")[:1]),
        last_success_id=Subquery(runs.filter(status=SyncStatus.SUCCEEDED).values("id")[:1]),
        last_run_at=Subquery(runs.values("started_at")[:1]),
        last_run_status=Subquery(runs.values("status")[:1]),
        last_error=Subquery(runs.filter(status=SyncStatus.FAILED).values("error")[:1]),
        last_error_at=Subquery(runs.filter(status=SyncStatus.FAILED).values("started_at")[:1]),
    )
    if cluster_id:
        qs = qs.filter(cluster_id=cluster_id)
    return qs.order_by("cluster__name", "name")


def source_is_stale(source, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if not source.enabled:
        return False
    if source.last_run_status == SyncStatus.FAILED and source.kind != SourceKind.GPU_AGENT:
        return True
    reference = source.last_success_at or source.created_at
    return now - reference > source.stale_after


@dataclass
class Overview:
    clusters: list
    sources: list
    nodes_total: int = 0
    nodes_ready: int = 0
    nodes_not_ready: int = 0
    gpu_nodes: int = 0
    gpus_total: int = 0
    gpus_allocatable: int = 0
    gpus_requested: int = 0
    gpus_idle: int = 0
    gpus_not_exposed: int = 0
    gpus_by_model: list = field(default_factory=list)
    components_by_category: list = field(default_factory=list)

    @property
    def gpus_free(self) -> int:
        return max(0, self.gpus_allocatable - self.gpus_requested)


def _overview_figures(cluster_id: int | None, now: datetime) -> dict:
    scope = {"cluster_id": cluster_id} if cluster_id else {}
    nodes = Node.objects.present().filter(**scope)
    gpus = Gpu.objects.present().filter(**scope)
    node_figures = nodes.aggregate(
        nodes_total=Count("id"),
        nodes_ready=Count("id", filter=Q(ready=True)),
        nodes_not_ready=Count("id", filter=Q(ready=False)),
        gpu_nodes=Count("id", filter=Q(gpu_capacity__gt=0) | Q(gpu_labels_present=True)),
        gpus_allocatable=Sum("gpu_allocatable"),
        gpus_requested=Sum("gpu_requested"),
    )
    gpu_figures = gpus.aggregate(
        gpus_total=Count("id"),
        gpus_idle=Count("id", filter=Q(idle_since__lte=now - idle_after())),
        # Known to an agent, on a node where Kubernetes offers no nvidia.com/gpu at all.
        gpus_not_exposed=Count("id", filter=Q(node__gpu_allocatable=0)),
    )
    by_model = list(
        gpus.values("product", "memory_total_mib")
        .annotate(count=Count("id"), nodes=Count("node_name", distinct=True))
        .order_by("-count", "product")
    )
    return {
        **node_figures,
        **gpu_figures,
        "gpus_allocatable": node_figures["gpus_allocatable"] or 0,
        "gpus_requested": node_figures["gpus_requested"] or 0,
        "gpus_by_model": by_model,
        "components_by_category": [
            {"category": row["category"], "count": row["count"]}
            for row in Component.objects.present()
            .filter(**scope)
            .values("category")
            .annotate(count=Count("id"))
            .order_by("category")
        ],
    }


def overview_figures(*, cluster_id: int | None = None, now: datetime | None = None) -> dict:
    """The inventory's aggregates, computed once per sync run (or ``FIGURES_TTL``):
    they read every present node and GPU, and only a sync changes them."""
    return cached_until_sync(
        f"overview-figures:{cluster_id or 'all'}",
        lambda: _overview_figures(cluster_id, now or timezone.now()),
    )


def _labelled(by_category: list[dict]) -> list[dict]:
    labels = dict(ComponentCategory.choices)
    return [{**row, "label": labels.get(row["category"], row["category"])} for row in by_category]


def inventory_overview(*, cluster_id: int | None = None, now: datetime | None = None) -> Overview:
    now = now or timezone.now()
    figures = overview_figures(cluster_id=cluster_id, now=now)
    sources = list(sources_with_status(cluster_id))
    for source in sources:
        source.is_stale = source_is_stale(source, now)
    return Overview(
        clusters=list(Cluster.objects.all()),
        sources=sources,
        nodes_total=figures["nodes_total"],
        nodes_ready=figures["nodes_ready"],
        nodes_not_ready=figures["nodes_not_ready"],
        gpu_nodes=figures["gpu_nodes"],
        gpus_total=figures["gpus_total"],
        gpus_allocatable=figures["gpus_allocatable"],
        gpus_requested=figures["gpus_requested"],
        gpus_idle=figures["gpus_idle"],
        gpus_not_exposed=figures["gpus_not_exposed"],
        gpus_by_model=figures["gpus_by_model"],
        components_by_category=_labelled(figures["components_by_category"]),
    )


def node_list(*, cluster_id=None, include_gone: bool = False, q: str = "") -> QuerySet[Node]:
    """Ordered on the partial index of present nodes; the GPU count is a correlated
    count evaluated for the rows of the page only."""
    qs = (
        Node.objects.select_related("cluster")
        .defer("labels", "taints", "capacity", "allocatable", "mig_devices_label")
        .annotate(gpu_count=gpus_on_node())
    )
    if not include_gone:
        qs = qs.filter(gone_at__isnull=True)
    if cluster_id:
        qs = qs.filter(cluster_id=cluster_id)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("cluster_id", "name")


def node_detail(node_id: int) -> tuple[Node, list[Gpu], list[InventoryChange]]:
    node = Node.objects.select_related("cluster").get(pk=node_id)
    gpus = list(node.gpus.order_by("gone_at", "index"))
    gpu_ids = [g.pk for g in gpus]
    changes = list(
        InventoryChange.objects.filter(
            Q(object_kind="node", object_id=node.pk) | Q(object_kind="gpu", object_id__in=gpu_ids)
        ).order_by("-at", "-id")[:50]
    )
    return node, gpus, changes


def gpu_list(
    *,
    cluster_id=None,
    product: str = "",
    node: str = "",
    uuid: str = "",
    include_gone: bool = False,
) -> QuerySet[Gpu]:
    qs = Gpu.objects.select_related("cluster").defer("nvlink_peers")
    if not include_gone:
        qs = qs.filter(gone_at__isnull=True)
    if cluster_id:
        qs = qs.filter(cluster_id=cluster_id)
    if product:
        qs = qs.filter(product__icontains=product)
    if node:
        qs = qs.filter(node_name=node)
    if uuid:
        qs = qs.filter(uuid__icontains=uuid)
    return qs.order_by("cluster_id", "node_name", "index")


def component_list(
    *, cluster_id=None, category: str = "", q: str = "", include_gone: bool = False
) -> QuerySet[Component]:
    qs = Component.objects.select_related("cluster")
    if not include_gone:
        qs = qs.filter(gone_at__isnull=True)
    if cluster_id:
        qs = qs.filter(cluster_id=cluster_id)
    if category:
        qs = qs.filter(category=category)
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(workload_name__icontains=q) | Q(namespace__icontains=q)
        )
    return qs.order_by("cluster__name", "category", "name", "namespace")


def change_list(
    *, cluster_id=None, object_kind: str = "", since: datetime | None = None
) -> QuerySet[InventoryChange]:
    qs = InventoryChange.objects.select_related("cluster")
    if cluster_id:
        qs = qs.filter(cluster_id=cluster_id)
    if object_kind:
        qs = qs.filter(object_kind=object_kind)
    if since:
        qs = qs.filter(at__gte=since)
    return qs.order_by("-at", "-id")


def syncrun_list(*, cluster_id=None, source_id=None, status: str = "") -> QuerySet[SyncRun]:
    qs = SyncRun.objects.select_related("cluster", "source")
    if cluster_id:
        qs = qs.filter(cluster_id=cluster_id)
    if source_id:
        qs = qs.filter(source_id=source_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-started_at", "-id")


def hardware_panel() -> dict:
    """Home page: nodes, GPUs by model, GPUs not exposed to Kubernetes, idle GPUs."""
    figures = overview_figures()
    now = timezone.now()
    return {
        "nodes": figures["nodes_total"],
        "not_ready": figures["nodes_not_ready"],
        "gpus": figures["gpus_total"],
        "by_model": figures["gpus_by_model"][:6],
        "not_exposed": figures["gpus_not_exposed"],
        "idle": figures["gpus_idle"],
        "stale_sources": sum(1 for s in sources_with_status() if source_is_stale(s, now)),
    }


def software_panel(now: datetime | None = None) -> dict:
    """Home page: components by category, what changed this week."""
    now = now or timezone.now()
    by_category = _labelled(overview_figures()["components_by_category"])
    week = InventoryChange.objects.filter(at__gte=now - timedelta(days=7)).aggregate(
        total=Count("id"),
        components=Count("id", filter=Q(object_kind="component")),
        last=Max("at"),
    )
    return {"by_category": [{**c, "label": str(c["label"])} for c in by_category], "week": week}
