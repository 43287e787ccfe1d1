"""Reads of the inventory, each with a constant number of queries whatever the size
of the cluster."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
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


def idle_after() -> timedelta:
    return timedelta(hours=float(getattr(settings, "INVENTORY_GPU_IDLE_HOURS", 24)))


def sources_with_status(cluster_id: int | None = None) -> QuerySet[InventorySource]:
    """Sources with their last success, last run status and last error (from SyncRuns).

    GPU-agent sources have one run per node report; their last run is the last report.
    """
    runs = SyncRun.objects.filter(source=OuterRef("pk")).order_by("-started_at", "-id")
    qs = InventorySource.objects.select_related("cluster").annotate(
        last_success_at=Subquery(runs.filter(status=SyncStatus.SUCCEEDED).values("started_at")[:1]),
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


def _components_by_category(components: QuerySet[Component]) -> list[dict]:
    labels = dict(ComponentCategory.choices)
    return [
        {**row, "label": labels.get(row["category"], row["category"])}
        for row in components.values("category").annotate(count=Count("id")).order_by("category")
    ]


def inventory_overview(*, cluster_id: int | None = None, now: datetime | None = None) -> Overview:
    now = now or timezone.now()
    scope = {"cluster_id": cluster_id} if cluster_id else {}
    nodes = Node.objects.present().filter(**scope)
    gpus = Gpu.objects.present().filter(**scope)
    node_figures = nodes.aggregate(
        n_total=Count("id"),
        n_ready=Count("id", filter=Q(ready=True)),
        n_not_ready=Count("id", filter=Q(ready=False)),
        n_gpu_nodes=Count("id", filter=Q(gpu_capacity__gt=0) | Q(gpu_labels_present=True)),
        n_allocatable=Sum("gpu_allocatable"),
        n_requested=Sum("gpu_requested"),
    )
    gpu_figures = gpus.aggregate(
        total=Count("id"),
        idle=Count("id", filter=Q(idle_since__lte=now - idle_after())),
        # Known to an agent, on a node where Kubernetes offers no nvidia.com/gpu at all.
        not_exposed=Count("id", filter=Q(node__gpu_allocatable=0)),
    )
    by_model = list(
        gpus.values("product", "memory_total_mib")
        .annotate(count=Count("id"), nodes=Count("node_name", distinct=True))
        .order_by("-count", "product")
    )
    by_category = _components_by_category(Component.objects.present().filter(**scope))
    sources = list(sources_with_status(cluster_id))
    for source in sources:
        source.is_stale = source_is_stale(source, now)
    return Overview(
        clusters=list(Cluster.objects.all()),
        sources=sources,
        nodes_total=node_figures["n_total"],
        nodes_ready=node_figures["n_ready"],
        nodes_not_ready=node_figures["n_not_ready"],
        gpu_nodes=node_figures["n_gpu_nodes"],
        gpus_total=gpu_figures["total"],
        gpus_allocatable=node_figures["n_allocatable"] or 0,
        gpus_requested=node_figures["n_requested"] or 0,
        gpus_idle=gpu_figures["idle"],
        gpus_not_exposed=gpu_figures["not_exposed"],
        gpus_by_model=by_model,
        components_by_category=by_category,
    )


def node_list(*, cluster_id=None, include_gone: bool = False, q: str = "") -> QuerySet[Node]:
    qs = Node.objects.select_related("cluster").annotate(
        gpu_count=Count("gpus", filter=Q(gpus__gone_at__isnull=True))
    )
    if not include_gone:
        qs = qs.filter(gone_at__isnull=True)
    if cluster_id:
        qs = qs.filter(cluster_id=cluster_id)
    if q:
        qs = qs.filter(name__icontains=q)
    return qs.order_by("cluster__name", "name")


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
    qs = Gpu.objects.select_related("cluster", "node")
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
    return qs.order_by("cluster__name", "node_name", "index")


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
    overview = inventory_overview()
    return {
        "nodes": overview.nodes_total,
        "not_ready": overview.nodes_not_ready,
        "gpus": overview.gpus_total,
        "by_model": overview.gpus_by_model[:6],
        "not_exposed": overview.gpus_not_exposed,
        "idle": overview.gpus_idle,
        "stale_sources": sum(1 for s in overview.sources if s.is_stale),
    }


def software_panel(now: datetime | None = None) -> dict:
    """Home page: components by category, what changed this week."""
    now = now or timezone.now()
    by_category = _components_by_category(Component.objects.present())
    week = InventoryChange.objects.filter(at__gte=now - timedelta(days=7)).aggregate(
        total=Count("id"),
        components=Count("id", filter=Q(object_kind="component")),
        last=Max("at"),
    )
    return {"by_category": by_category, "week": week}


# --- Capacity advisor -------------------------------------------------------------


@dataclass
class CapacityFit:
    node: Node
    mode: str  # "replica": each GPU holds the model; "sharded": split over NVLink peers
    gpus_fitting: int
    gpu_memory_mib: int
    free_now: int
    gpu_count: int = 1

    @property
    def available_now(self) -> bool:
        return self.free_now >= self.gpu_count


def _nvlink_groups(gpus: list[Gpu]) -> list[list[Gpu]]:
    by_bus = {g.pci_bus_id.lower(): g for g in gpus if g.pci_bus_id}
    parent = {g.pk: g.pk for g in gpus}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for g in gpus:
        for peer in g.nvlink_peers or []:
            other = by_bus.get(str(peer).lower())
            if other is not None:
                parent[find(g.pk)] = find(other.pk)
    groups = defaultdict(list)
    for g in gpus:
        groups[find(g.pk)].append(g)
    return list(groups.values())


def capacity_fit(
    *,
    model_gb: float,
    batch_gb: float,
    dataset_gb: float,
    gpu_count: int,
    cluster_id: int | None = None,
    min_cpu_per_gpu: float = 8,
) -> list[CapacityFit]:
    """Nodes that can run a job: GPU memory per device (a replica of the model per GPU)
    or across NVLink-connected devices (the model sharded over ``gpu_count`` of them),
    RAM to hold the dataset, and at least ``min_cpu_per_gpu`` vCPU per GPU."""
    nodes = Node.objects.present().select_related("cluster").filter(ready=True)
    if cluster_id:
        nodes = nodes.filter(cluster_id=cluster_id)
    nodes = list(nodes.order_by("cluster__name", "name"))
    gpus_by_node: dict[int, list[Gpu]] = defaultdict(list)
    for gpu in (
        Gpu.objects.present()
        .filter(node_id__in=[n.pk for n in nodes])
        .only("id", "node_id", "memory_total_mib", "pci_bus_id", "nvlink_peers")
    ):
        gpus_by_node[gpu.node_id].append(gpu)
    replica_need = (model_gb + batch_gb) * 1024
    sharded_need = (model_gb / gpu_count + batch_gb) * 1024
    fits = []
    for node in nodes:
        if node.memory_bytes is not None and node.memory_bytes < dataset_gb * 2**30:
            continue
        gpus = gpus_by_node.get(node.pk, [])
        # The node's CPUs are shared by all its GPUs' jobs, not only by this one.
        sharing = max(gpu_count, len(gpus), node.gpu_capacity)
        if node.cpu_cores is None or node.cpu_cores / sharing < min_cpu_per_gpu:
            continue
        free = max(0, node.gpu_allocatable - node.gpu_requested)
        replica = [g for g in gpus if (g.memory_total_mib or 0) >= replica_need]
        if len(replica) >= gpu_count:
            fits.append(
                CapacityFit(
                    node,
                    "replica",
                    len(replica),
                    min(g.memory_total_mib for g in replica),
                    free,
                    gpu_count,
                )
            )
            continue
        if gpu_count < 2:
            continue
        for group in _nvlink_groups(gpus):
            able = [g for g in group if (g.memory_total_mib or 0) >= sharded_need]
            if len(able) >= gpu_count:
                fits.append(
                    CapacityFit(
                        node,
                        "sharded",
                        len(able),
                        min(g.memory_total_mib for g in able),
                        free,
                        gpu_count,
                    )
                )
                break
    fits.sort(key=lambda f: (not f.available_now, f.node.cluster.name, f.node.name))
    return fits
