"""The decision-record API: records and the typed links between them. Views parse
and answer; services decide."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.generics import get_object_or_404  # a malformed id is a 404, not a 500
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from inventory.models import Component
from knowledge import services
from knowledge.api import serializers as s
from knowledge.api.views._common import PolicyActionsMixin
from knowledge.choices import AdrStatus
from knowledge.models import Adr, AdrLink
from knowledge.selectors import adr as adr_selectors
from portal.api.schema import document, link
from portal.elements import ElementCode
from portal.page_cache import CachedListMixin


class AdrViewSet(
    CachedListMixin,
    PolicyActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Architecture decision records, by number."""

    serializer_class = s.AdrSerializer
    lookup_field = "number"
    lookup_value_regex = r"\d+"
    ordering_fields = ["number", "date", "title"]
    write_actions = {
        "create": "adr.create",
        "partial_update": "adr.edit",
        "accept": "adr.accept",
        "reject": "adr.reject",
        "deprecate": "adr.deprecate",
        "supersede": "adr.supersede",
        "import_files": "adr.import",
        "components": "adr.edit",
        "component_unlink": "adr.edit",
    }

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            status_ = params.get("status", "")
            element = params.get("element", "")
            if status_ and status_ not in AdrStatus.values:
                raise ApiValidationError({"status": ["Unknown status."]})
            if element and element not in ElementCode.values:
                raise ApiValidationError({"element": ["Unknown IS element."]})
            return adr_selectors.adr_list(
                status=status_, tag=params.get("tag", ""), element=element, q=params.get("q", "")
            ).prefetch_related(
                "procedures",
                Prefetch("links_out", queryset=AdrLink.objects.select_related("target")),
                Prefetch("links_in", queryset=AdrLink.objects.select_related("source")),
            )
        return Adr.objects.for_page()

    def get_serializer_class(self):
        return s.AdrSerializer if self.action == "list" else s.AdrDetailSerializer

    def _fresh(self, adr: Adr) -> dict:
        return s.AdrDetailSerializer(Adr.objects.for_page().get(pk=adr.pk)).data

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=AdrStatus.values),
            OpenApiParameter("element", str, enum=ElementCode.values),
            OpenApiParameter("tag", str),
            OpenApiParameter("q", str),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.AdrWriteSerializer, responses={201: s.AdrDetailSerializer})
    def create(self, request):
        data = s.AdrWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("revision", None)
        adr = services.adr_create(actor=request.user, **values)
        return Response(self._fresh(adr), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AdrWriteSerializer, responses={200: s.AdrDetailSerializer})
    def partial_update(self, request, number=None):
        adr = self.get_object()
        data = s.AdrWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "revision" not in values:
            raise ApiValidationError({"revision": ["Send the revision you edited."]})
        adr = services.adr_update(actor=request.user, adr=adr, **values)
        return Response(self._fresh(adr))

    def _status(self, request, service):
        adr = self.get_object()
        data = s.StatusNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        service(actor=request.user, adr=adr, note=data.validated_data.get("note", ""))
        return Response(self._fresh(adr))

    @extend_schema(request=s.StatusNoteSerializer, responses={200: s.AdrDetailSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request, number=None):
        return self._status(request, services.adr_accept)

    @extend_schema(request=s.StatusNoteSerializer, responses={200: s.AdrDetailSerializer})
    @action(detail=True, methods=["post"])
    def reject(self, request, number=None):
        return self._status(request, services.adr_reject)

    @extend_schema(request=s.StatusNoteSerializer, responses={200: s.AdrDetailSerializer})
    @action(detail=True, methods=["post"])
    def deprecate(self, request, number=None):
        return self._status(request, services.adr_deprecate)

    @extend_schema(request=s.SupersedeSerializer, responses={200: s.AdrDetailSerializer})
    @action(detail=True, methods=["post"])
    def supersede(self, request, number=None):
        adr = self.get_object()
        data = s.SupersedeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.adr_supersede(
            actor=request.user,
            adr=adr,
            old=data.validated_data["old"],
            note=data.validated_data.get("note", ""),
        )
        return Response(self._fresh(adr))

    @extend_schema(
        request=s.ComponentLinkSerializer,
        responses={201: s.AdrDetailSerializer, 200: s.AdrDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def components(self, request, number=None):
        """Link an inventory software component (by id) to the record. Linking one
        already linked answers 200 and changes nothing; a new link answers 201."""
        adr = self.get_object()
        data = s.ComponentLinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        component = get_object_or_404(
            Component.objects.select_related("cluster"), pk=data.validated_data["component"]
        )
        _subject, created = services.adr_component_link(
            actor=request.user, adr=adr, component=component
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self._fresh(adr), status=code)

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("component_id", int, OpenApiParameter.PATH)],
        responses={200: s.AdrDetailSerializer},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"components/(?P<component_id>\d+)",
    )
    def component_unlink(self, request, number=None, component_id=None):
        """Remove the link to a software component; the record as it is now."""
        adr = self.get_object()
        component = get_object_or_404(Component.objects.select_related("cluster"), pk=component_id)
        services.adr_component_unlink(actor=request.user, adr=adr, component=component)
        return Response(self._fresh(adr))

    @extend_schema(
        request={"multipart/form-data": s.ImportUploadSerializer},
        responses={200: s.ImportReportSerializer, 400: s.ImportReportSerializer},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    def import_files(self, request):
        """Upload ADR Markdown files (field ``files``, repeated). Each bad file is
        reported with its line; the others are imported."""
        files = request.FILES.getlist("files")
        if not files:
            raise ApiValidationError({"files": ["Upload one or more Markdown files."]})
        report = services.adr_import(actor=request.user, files=[(f.name, f.read()) for f in files])
        imported = report.created or report.updated or report.unchanged
        code = status.HTTP_200_OK if imported or not report.errors else status.HTTP_400_BAD_REQUEST
        return Response(report.as_dict(), status=code)

    @extend_schema(
        parameters=[OpenApiParameter("template", str, enum=["madr", "nygard"])],
        responses={200: {"type": "object", "additionalProperties": {"type": "string"}}},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """All records as Markdown files (MADR 4 or Nygard), file name → text."""
        template = request.query_params.get("template", "madr")
        if template not in ("madr", "nygard"):
            raise ApiValidationError({"template": ["Use madr or nygard."]})
        return Response(adr_selectors.export_files(Adr.objects.all(), template))


class AdrLinkViewSet(
    PolicyActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Typed links between records; "supersedes" also marks the target superseded."""

    serializer_class = s.AdrLinkSerializer
    queryset = AdrLink.objects.select_related("source", "target").order_by("id")
    # Whether a link may be made depends on its kind (supersedes: approvers): the
    # service decides, with the same policy.
    write_actions = {"create": "portal.read", "destroy": "portal.read"}

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.adr_link_add(
            actor=self.request.user, source=data["source"], target=data["target"], kind=data["kind"]
        )

    def perform_destroy(self, instance):
        services.adr_link_remove(actor=self.request.user, link=instance)


document(
    AdrViewSet,
    {
        "list": (
            "List decision records",
            "Architecture decision records, newest number first. ``q`` searches titles "
            "and numbers (``ADR-0007`` or ``7``); filter by status, tag or IS element.",
        ),
        "retrieve": (
            "Get a decision record",
            "One record by its number, with its sections, links both ways and procedures.",
        ),
        "create": (
            "Record a decision",
            "Editors record a decision; it gets the next free number and starts proposed.",
        ),
        "partial_update": (
            "Edit a decision record",
            "Editors change the text; send the ``revision`` you read. Every change keeps a "
            "revision.",
        ),
        "accept": ("Accept a decision", "Approvers accept a proposed (or rejected) record."),
        "reject": ("Reject a decision", "Approvers reject a proposed record."),
        "deprecate": ("Deprecate a decision", "Approvers deprecate an accepted record."),
        "supersede": (
            "Supersede an older decision with this one",
            "Approvers mark the record ``old`` superseded by this one; the link and the "
            "status change are made together.",
        ),
        "components": (
            "Link a software component",
            "Link an inventory software component (by id) to the record. Linking one "
            "already linked answers 200 and changes nothing; a new link answers 201.",
        ),
        "component_unlink": (
            "Unlink a software component",
            "Remove the link to a software component; answers the record as it is now.",
        ),
        "import_files": (
            "Import decision records from Markdown",
            "Upload MADR 4 or Nygard (adr-tools) Markdown files (field ``files``, "
            "repeated). Each bad file is reported with its line; the others are imported. "
            "Files and the whole request are size-limited (413).",
        ),
        "export": (
            "Export every decision record as Markdown",
            "All records as Markdown files (``template=madr`` or ``nygard``): an object of "
            "file name to text.",
        ),
    },
)
document(
    AdrLinkViewSet,
    {
        "list": (
            "List links between records",
            "Every typed link (supersedes, amends, relates to).",
        ),
        "retrieve": ("Get a link", "One link by its id."),
        "create": (
            "Link two records",
            "Editors link records with ``amends`` or ``relates_to``; ``supersedes`` needs "
            "an approver and marks the target superseded. A record cannot link to itself.",
        ),
        "destroy": (
            "Remove a link",
            "Removing a ``supersedes`` link needs an approver, like making one, and gives "
            "the old record back the status it had when nothing else supersedes it.",
        ),
    },
)


for name, target in (
    ("Get", "v1_adrs_retrieve"),
    ("Edit", "v1_adrs_partial_update"),
    ("Accept", "v1_adrs_accept_create"),
    ("Reject", "v1_adrs_reject_create"),
    ("Supersede", "v1_adrs_supersede_create"),
):
    link("v1_adrs_create", "201", name, target, parameters={"number": "$response.body#/number"})
link(
    "v1_adrs_accept_create",
    "200",
    "Deprecate",
    "v1_adrs_deprecate_create",
    parameters={"number": "$response.body#/number"},
)
