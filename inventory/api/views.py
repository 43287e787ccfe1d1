"""The inventory API: read for viewers, writes (clusters, sources, sync) for admins."""

from __future__ import annotations

from datetime import UTC

import django_filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.response import Response

from inventory import services
from inventory.api.serializers import (
    ClusterSerializer,
    ComponentSerializer,
    FindingSerializer,
    GpuSerializer,
    InventoryChangeSerializer,
    InventorySourceSerializer,
    NodeSerializer,
    SyncRunSerializer,
)
from inventory.findings import RULES, findings_list
from inventory.models import (
    Cluster,
    Component,
    Gpu,
    InventoryChange,
    Node,
    SyncRun,
)
from inventory.selectors import gpus_on_node, sources_with_status
from portal.api.schema import document
from portal.page_cache import CachedListMixin


class InventoryAccess:
    read_action = "inventory.read"
    write_action = "inventory.manage"
    page_cache_scopes = ("content", "inventory")  # lists kept until a change or a sync


class GoneFilter(django_filters.FilterSet):
    gone = django_filters.BooleanFilter(
        field_name="gone_at", lookup_expr="isnull", exclude=True, label="gone"
    )


class NodeFilter(GoneFilter):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Node
        fields = ["cluster", "ready", "gone"]


class GpuFilter(GoneFilter):
    product = django_filters.CharFilter(lookup_expr="icontains")
    node = django_filters.CharFilter(field_name="node_name")

    class Meta:
        model = Gpu
        fields = ["cluster", "product", "node", "driver_version", "mig_mode", "gone"]


class ComponentFilter(GoneFilter):
    class Meta:
        model = Component
        fields = ["cluster", "category", "namespace", "gone"]


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """Compares in UTC: ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(UTC)
            except OverflowError as exc:
                raise ValidationError({self.field_name: ["date out of range"]}) from exc
        return super().filter(qs, value)


class ChangeFilter(django_filters.FilterSet):
    kind = django_filters.CharFilter(field_name="object_kind")
    since = UtcDateTimeFilter(field_name="at", lookup_expr="gte")
    until = UtcDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = InventoryChange
        fields = ["cluster", "kind", "change", "object_id", "since", "until"]


class ClusterViewSet(
    InventoryAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Cluster.objects.order_by("name")
    serializer_class = ClusterSerializer
    filterset_fields = ["is_demo"]

    def perform_create(self, serializer):
        serializer.instance = services.cluster_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.cluster_update(
            actor=self.request.user, cluster=serializer.instance, **serializer.validated_data
        )

    @extend_schema(
        request=None,
        responses={
            202: {
                "type": "object",
                "properties": {"detail": {"type": "string"}},
                "required": ["detail"],
            },
            409: None,
        },
    )
    @action(detail=True, methods=["post"])
    def sync(self, request, pk=None):
        started = services.cluster_sync_request(actor=request.user, cluster=self.get_object())
        if not started.started:
            return Response(
                {"detail": "nothing can run: every source of the cluster is disabled"},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(
            {"detail": "sync queued", "sources": list(started.sources), "agents": started.agents},
            status=status.HTTP_202_ACCEPTED,
        )


class InventorySourceViewSet(InventoryAccess, viewsets.ModelViewSet):
    serializer_class = InventorySourceSerializer
    filterset_fields = ["cluster", "kind", "enabled"]

    def get_queryset(self):
        return sources_with_status()

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.source_create(actor=self.request.user, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("cluster", None)  # a source does not move between clusters
        if data.get("sync_interval_seconds", 0) is None:
            del data["sync_interval_seconds"]
        serializer.instance = services.source_update(
            actor=self.request.user, source=serializer.instance, **data
        )

    def perform_destroy(self, instance):
        services.source_delete(actor=self.request.user, source=instance)


class ReadOnlyInventory(CachedListMixin, InventoryAccess, viewsets.ReadOnlyModelViewSet):
    pass


class NodeViewSet(ReadOnlyInventory):
    serializer_class = NodeSerializer
    filterset_class = NodeFilter
    # The GPU count is a correlated count, evaluated for the rows of the page only.
    queryset = Node.objects.annotate(gpu_count=gpus_on_node()).order_by("cluster_id", "name")


class GpuViewSet(ReadOnlyInventory):
    serializer_class = GpuSerializer
    filterset_class = GpuFilter
    queryset = Gpu.objects.order_by("cluster_id", "node_name", "index")


class ComponentViewSet(ReadOnlyInventory):
    serializer_class = ComponentSerializer
    filterset_class = ComponentFilter
    queryset = Component.objects.order_by("cluster_id", "category", "name")


class InventoryChangeViewSet(ReadOnlyInventory):
    serializer_class = InventoryChangeSerializer
    filterset_class = ChangeFilter
    queryset = InventoryChange.objects.order_by("-at", "-id")


class SyncRunViewSet(ReadOnlyInventory):
    serializer_class = SyncRunSerializer
    filterset_fields = ["cluster", "source", "status", "source_kind"]
    queryset = SyncRun.objects.order_by("-started_at", "-id")


class FindingsView(CachedListMixin, InventoryAccess, ListAPIView):
    """The findings, paginated like every list, rules in severity order."""

    serializer_class = FindingSerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("cluster", int, description="one cluster's findings"),
            OpenApiParameter("code", str, description="one rule's findings"),
        ]
    )
    def get(self, request, *args, **kwargs):
        cluster = request.query_params.get("cluster")
        try:
            self.cluster_id = int(cluster) if cluster else None
        except ValueError:
            return Response(
                {"detail": "cluster must be an integer", "code": "invalid"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        self.code = request.query_params.get("code") or None
        if self.code is not None and self.code not in RULES:
            return Response(
                {"detail": f"unknown finding rule {self.code!r}", "code": "invalid"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return findings_list(cluster_id=self.cluster_id, code=self.code)


def _read_only(thing: str, what: str) -> dict[str, tuple[str, str]]:
    return {
        "list": (f"List {thing}", what),
        "retrieve": (f"Get one of the {thing}", f"One of the {thing} by its id."),
    }


document(
    ClusterViewSet,
    {
        "list": ("List clusters", "The Kubernetes clusters the inventory knows, with their state."),
        "retrieve": ("Get a cluster", "One cluster by its id."),
        "create": ("Add a cluster", "Admins add a cluster; its sources are added separately."),
        "update": ("Replace a cluster", "Admins change a cluster's name or description."),
        "partial_update": ("Change a cluster", "Admins change some of a cluster's fields."),
        "sync": (
            "Queue a sync of a cluster",
            "Admins ask for an immediate read of every enabled source of the cluster; "
            "the answer (202) comes before the sync runs.",
        ),
    },
)
document(
    InventorySourceViewSet,
    {
        "list": (
            "List inventory sources",
            "Where the inventory reads each cluster from (Kubernetes API, DCGM exporter, "
            "files), with the state of its last sync.",
        ),
        "retrieve": ("Get an inventory source", "One source by its id."),
        "create": ("Add an inventory source", "Admins add a source to a cluster."),
        "update": ("Replace an inventory source", "Admins change a source's settings."),
        "partial_update": ("Change an inventory source", "Admins change some settings."),
        "destroy": (
            "Remove an inventory source",
            "Admins remove a source; what it found stays in the inventory's history.",
        ),
    },
)
document(
    NodeViewSet,
    _read_only("nodes", "Cluster nodes with capacity, GPU count and state; ``gone`` filters."),
)
document(GpuViewSet, _read_only("GPUs", "GPUs seen on the nodes, with model, driver and use."))
document(
    ComponentViewSet,
    _read_only("software components", "ML and auxiliary software recognised in the clusters."),
)
document(
    InventoryChangeViewSet,
    _read_only("inventory changes", "Every difference a sync found: added, changed, gone."),
)
document(SyncRunViewSet, _read_only("sync runs", "Each read of a source: counts, time, error."))
document(
    FindingsView,
    {
        "get": (
            "List findings",
            "Rules over the current inventory (e.g. GPUs not exposed to Kubernetes, driver "
            "drift, idle GPUs); filter by ``cluster`` id or finding ``code``.",
        )
    },
)
