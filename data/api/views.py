"""The data and networks API: viewers read, editors write, admins delete."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from data import services
from data.api import serializers as s
from data.choices import StoreKind, Versioning
from data.findings import findings_compute
from data.imports import dvc_import, iperf3_import
from data.models import ClusterPlacement, Dataset, DataStore, LinkMeasurement, NetworkLink, Site
from data.selectors import network_load
from inventory.api.views import UtcDateTimeFilter
from portal.api.filters import WholeNumberFilter

MAX_UPLOAD_FILES = 200


class DataAccess:
    # Reads need data.read, writes data.edit, deletions data.delete (the permission
    # class reads these). A comment, not a docstring: the API docs would show it.

    read_action = "data.read"

    @property
    def write_action(self) -> str:
        request = getattr(self, "request", None)
        return "data.delete" if request is not None and request.method == "DELETE" else "data.edit"


def _crud(name: str) -> dict:
    return {
        "list": extend_schema(summary=f"List {name}s"),
        "retrieve": extend_schema(summary=f"Read one {name}"),
        "create": extend_schema(summary=f"Create a {name} (editors)"),
        "update": extend_schema(summary=f"Replace a {name} (editors)"),
        "partial_update": extend_schema(summary=f"Change a {name} (editors)"),
        "destroy": extend_schema(summary=f"Delete a {name} (admins)"),
    }


class ServiceViewSet(DataAccess, viewsets.ModelViewSet):
    """Writes go through the app's services; ``noun`` names their keyword."""

    noun = ""
    create_service = update_service = delete_service = None

    def perform_create(self, serializer):
        serializer.instance = type(self).create_service(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = type(self).update_service(
            actor=self.request.user,
            **{self.noun: serializer.instance},
            **serializer.validated_data,
        )

    def perform_destroy(self, instance):
        type(self).delete_service(actor=self.request.user, **{self.noun: instance})


class SiteFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Site
        fields = ["kind", "is_demo", "q"]


@extend_schema_view(**_crud("site"))
class SiteViewSet(ServiceViewSet):
    queryset = Site.objects.order_by("name")
    serializer_class = s.SiteSerializer
    filterset_class = SiteFilter
    noun = "site"
    create_service = staticmethod(services.site_create)
    update_service = staticmethod(services.site_update)
    delete_service = staticmethod(services.site_delete)


class StoreFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=StoreKind.choices)
    no_site = django_filters.BooleanFilter(field_name="site", lookup_expr="isnull")
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = DataStore
        fields = ["kind", "site", "no_site", "is_demo", "q"]


@extend_schema_view(**_crud("data store"))
class DataStoreViewSet(ServiceViewSet):
    queryset = DataStore.objects.order_by("name")
    serializer_class = s.DataStoreSerializer
    filterset_class = StoreFilter
    noun = "store"
    create_service = staticmethod(services.store_create)
    update_service = staticmethod(services.store_update)
    delete_service = staticmethod(services.store_delete)


class DatasetFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="name, path or format contains")
    kind = django_filters.ChoiceFilter(field_name="store__kind", choices=StoreKind.choices)
    versioning = django_filters.ChoiceFilter(choices=Versioning.choices)
    site = WholeNumberFilter(field_name="store__site")
    cluster = WholeNumberFilter(field_name="clusters", label="used on this cluster")
    min_size = WholeNumberFilter(field_name="size_bytes", lookup_expr="gte")
    max_size = WholeNumberFilter(field_name="size_bytes", lookup_expr="lte")

    class Meta:
        model = Dataset
        fields = ["store", "kind", "site", "versioning", "personal_data", "cluster", "is_demo"]

    def filter_q(self, qs, name, value):
        return qs.filter(
            Q(name__icontains=value) | Q(path__icontains=value) | Q(format__icontains=value)
        )


@extend_schema_view(**_crud("dataset"))
class DatasetViewSet(ServiceViewSet):
    queryset = Dataset.objects.prefetch_related("clusters").order_by("name")
    serializer_class = s.DatasetSerializer
    filterset_class = DatasetFilter
    noun = "dataset"
    create_service = staticmethod(services.dataset_create)
    update_service = staticmethod(services.dataset_update)
    delete_service = staticmethod(services.dataset_delete)

    @extend_schema(
        summary="Delivery time of the dataset to every cluster",
        responses=s.DatasetDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def delivery(self, request, pk=None):
        dataset = Dataset.objects.select_related("store").get(pk=self.get_object().pk)
        network = network_load()
        rows = [network.delivery(dataset, cid) for cid in network.cluster_names]
        return Response(s.DatasetDeliverySerializer(rows, many=True).data)

    @extend_schema(
        summary="Read .dvc files and dvc.lock (multipart, field 'files', repeated)",
        request={"multipart/form-data": s.DvcUploadSerializer},
        responses={200: s.DataImportReportSerializer, 400: s.DataImportReportSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import-dvc",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_dvc(self, request):
        files = request.FILES.getlist("files")
        if not files:
            raise ApiValidationError({"files": ["Upload one or more .dvc or dvc.lock files."]})
        if len(files) > MAX_UPLOAD_FILES:
            raise ApiValidationError({"files": [f"At most {MAX_UPLOAD_FILES} files at once."]})
        store = None
        if request.data.get("store"):
            try:
                store = DataStore.objects.get(pk=int(request.data["store"]))
            except (ValueError, TypeError, DataStore.DoesNotExist) as exc:
                raise ApiValidationError({"store": ["No such data store."]}) from exc
        report = dvc_import(
            actor=request.user, files=[(f.name, f.read()) for f in files], store=store
        )
        failed = len(report.errors) == len(report.files)
        return Response(
            report.as_dict(), status=status.HTTP_400_BAD_REQUEST if failed else status.HTTP_200_OK
        )


class LinkFilter(django_filters.FilterSet):
    site = WholeNumberFilter(method="filter_site", label="either end")

    class Meta:
        model = NetworkLink
        fields = ["site", "dedicated", "is_demo"]

    def filter_site(self, qs, name, value):
        return qs.filter(Q(site_a=value) | Q(site_b=value))


@extend_schema_view(**_crud("network link"))
class NetworkLinkViewSet(ServiceViewSet):
    queryset = NetworkLink.objects.order_by("pk")
    serializer_class = s.NetworkLinkSerializer
    filterset_class = LinkFilter
    noun = "link"
    create_service = staticmethod(services.link_create)
    update_service = staticmethod(services.link_update)
    delete_service = staticmethod(services.link_delete)

    @extend_schema(
        summary="Record iperf3 -J results (multipart, field 'files', repeated)",
        request={"multipart/form-data": s.DataUploadSerializer},
        responses={200: s.DataImportReportSerializer, 400: s.DataImportReportSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="import-iperf3",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_iperf3(self, request, pk=None):
        link = self.get_object()
        files = request.FILES.getlist("files")
        if not files:
            raise ApiValidationError({"files": ["Upload one or more iperf3 -J files."]})
        if len(files) > MAX_UPLOAD_FILES:
            raise ApiValidationError({"files": [f"At most {MAX_UPLOAD_FILES} files at once."]})
        report = iperf3_import(
            actor=request.user, link=link, files=[(f.name, f.read()) for f in files]
        )
        failed = len(report.errors) == len(report.files)
        return Response(
            report.as_dict(), status=status.HTTP_400_BAD_REQUEST if failed else status.HTTP_200_OK
        )


class MeasurementFilter(django_filters.FilterSet):
    since = UtcDateTimeFilter(field_name="measured_at", lookup_expr="gte")

    class Meta:
        model = LinkMeasurement
        fields = ["link", "protocol", "since"]


class RecordViewSet(
    DataAccess,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Rows that are recorded and removed, never edited (measurements, placements)."""


@extend_schema_view(
    list=extend_schema(summary="List link measurements"),
    retrieve=extend_schema(summary="Read one link measurement"),
    create=extend_schema(summary="Record a measured bandwidth (editors)"),
    destroy=extend_schema(summary="Delete a measurement (admins)"),
)
class LinkMeasurementViewSet(RecordViewSet):
    """Measured bandwidth of the network links (iperf3 runs or typed in), newest first:
    viewers read, editors record, admins delete."""

    queryset = LinkMeasurement.objects.order_by("-measured_at", "-id")
    serializer_class = s.LinkMeasurementSerializer
    filterset_class = MeasurementFilter

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance, _created = services.measurement_record(actor=self.request.user, **data)

    def perform_destroy(self, instance):
        services.measurement_delete(actor=self.request.user, measurement=instance)


@extend_schema_view(
    list=extend_schema(summary="Which site each cluster is at"),
    retrieve=extend_schema(summary="Read one placement"),
    create=extend_schema(summary="Place a cluster at a site (editors)"),
    destroy=extend_schema(summary="Forget where a cluster is (editors)"),
)
class PlacementViewSet(RecordViewSet):
    """The site each inventory cluster is at, which delivery times start from: viewers
    read, editors place and forget."""

    queryset = ClusterPlacement.objects.order_by("cluster_id")
    serializer_class = s.PlacementSerializer
    filterset_fields = ["site", "cluster"]

    @property
    def write_action(self) -> str:
        return "data.edit"

    def perform_create(self, serializer):
        serializer.instance = services.cluster_place(
            actor=self.request.user,
            cluster=serializer.validated_data["cluster"],
            site=serializer.validated_data["site"],
        )

    def perform_destroy(self, instance):
        services.cluster_place(actor=self.request.user, cluster=instance.cluster, site=None)


class FindingsView(DataAccess, APIView):
    """Datasets too slow to reach their GPUs, links measured well below their declared
    bandwidth, stores with no site, personal data without versioning: each kind with
    its count and first rows."""

    @extend_schema(
        summary="Data and network findings with their first rows",
        responses=s.DataFindingGroupSerializer(many=True),
    )
    def get(self, request):
        return Response(s.DataFindingGroupSerializer(findings_compute(), many=True).data)
