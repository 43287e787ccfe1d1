"""REST endpoints. Each write is one service call; errors come back in the portal's
shape (409 for workflow and conflicts, 400 for bad input, 403 for policy)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api.schema import document, link
from portal.page_cache import CachedListMixin
from procedures import services
from procedures.api import serializers as s
from procedures.api.filters import (
    AcknowledgementFilter,
    ProcedureFilter,
    ReviewFilter,
    VersionFilter,
)
from procedures.choices import ReviewDecision
from procedures.models import Acknowledgement, Procedure, ProcedureVersion, Review

ERRORS = {
    400: OpenApiResponse(description="Invalid input."),
    403: OpenApiResponse(description="Not allowed."),
    404: OpenApiResponse(description="No such object."),
    409: OpenApiResponse(description="Not possible in the current state, or a conflict."),
}


class ActionPolicyMixin:
    # PortalReadWrite asks for ``write_action``: the policy action per endpoint. A
    # comment, not a docstring, so that the API docs do not inherit it.

    write_actions: dict[str, str] = {}

    @property
    def write_action(self) -> str:
        return self.write_actions.get(self.action, "portal.write")


@extend_schema_view(
    list=extend_schema(summary="List procedures"),
    retrieve=extend_schema(summary="Get a procedure"),
)
class ProcedureViewSet(
    CachedListMixin,
    ActionPolicyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.ProcedureSerializer
    filterset_class = ProcedureFilter
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    ordering_fields = ["title", "slug", "review_due_at", "created_at"]
    write_actions = {
        "create": "procedure.create",
        "partial_update": "procedure.update",
        "withdraw": "procedure.withdraw",
        "acknowledge": "procedure.acknowledge",
    }

    def get_queryset(self):
        return (
            Procedure.objects.with_current()
            .select_related("category", "owner")
            .prefetch_related("elements")
            .order_by("category__order", "title")
        )

    def _read(self, procedure: Procedure) -> Response:
        fresh = self.get_queryset().get(pk=procedure.pk)
        return Response(s.ProcedureSerializer(fresh).data)

    @extend_schema(
        summary="Create a procedure with its first draft",
        request=s.ProcedureCreateSerializer,
        responses={201: s.ProcedureSerializer, **ERRORS},
    )
    def create(self, request):
        payload = s.ProcedureCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        procedure = services.procedure_create(actor=request.user, **payload.validated_data)
        response = self._read(procedure)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(
        summary="Change a procedure's metadata",
        request=s.ProcedureUpdateSerializer,
        responses={200: s.ProcedureSerializer, **ERRORS},
    )
    def partial_update(self, request, slug=None):
        payload = s.ProcedureUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        procedure = services.procedure_update(
            actor=request.user, procedure=self.get_object(), **payload.validated_data
        )
        return self._read(procedure)

    @extend_schema(
        summary="Withdraw (retire) a procedure",
        request=s.WithdrawSerializer,
        responses={200: s.ProcedureSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, slug=None):
        payload = s.WithdrawSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        procedure = services.procedure_withdraw(
            actor=request.user, procedure=self.get_object(), **payload.validated_data
        )
        return self._read(procedure)

    @extend_schema(
        summary="Acknowledge the version in force",
        request=None,
        responses={
            201: s.AcknowledgementSerializer,
            200: OpenApiResponse(s.AcknowledgementSerializer, description="Already acknowledged."),
            **ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, slug=None):
        ack, created = services.procedure_acknowledge(
            actor=request.user, procedure=self.get_object()
        )
        return Response(
            s.AcknowledgementSerializer(ack).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema_view(
    list=extend_schema(summary="List procedure versions"),
    retrieve=extend_schema(summary="Get a version with its text and signatures"),
)
class ProcedureVersionViewSet(
    ActionPolicyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    filterset_class = VersionFilter
    ordering_fields = ["created_at", "submitted_at", "major", "minor"]
    write_actions = {
        "create": "version.create",
        "partial_update": "version.edit",
        "submit": "version.submit",
        "approve": "version.approve",
        "request_changes": "version.review",
        "reject": "version.review",
        "withdraw": "version.withdraw",
    }

    def get_queryset(self):
        qs = ProcedureVersion.objects.select_related("procedure", "author").order_by(
            "procedure__slug", "-major", "-minor"
        )
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch(
                    "reviews",
                    queryset=Review.objects.filter(decision=ReviewDecision.APPROVE).select_related(
                        "reviewer"
                    ),
                    to_attr="approval_reviews",
                ),
                "authors",
            )
        return qs

    def get_serializer_class(self):
        return s.VersionSerializer if self.action == "list" else s.VersionDetailSerializer

    def _read(self, version: ProcedureVersion, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=version.pk)
        return Response(s.VersionDetailSerializer(fresh).data, status=code)

    @extend_schema(
        summary="Open a new draft of a procedure",
        request=s.VersionCreateSerializer,
        responses={201: s.VersionDetailSerializer, **ERRORS},
    )
    def create(self, request):
        payload = s.VersionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = services.version_create(actor=request.user, **payload.validated_data)
        return self._read(version, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft (send the revision you started from)",
        request=s.VersionUpdateSerializer,
        responses={200: s.VersionDetailSerializer, **ERRORS},
    )
    def partial_update(self, request, pk=None):
        version = self.get_object()
        payload = s.VersionUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        saved = services.version_update(
            actor=request.user,
            version=version,
            revision=data["revision"],
            # Fields left out of the PATCH keep what the draft has.
            **{
                field: data.get(field, getattr(version, field))
                for field in ProcedureVersion.CONTENT_FIELDS
            },
        )
        return self._read(saved)

    @extend_schema(
        summary="Submit a draft for review (freezes its content)",
        request=s.SubmitSerializer,
        responses={200: s.VersionDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        payload = s.SubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = services.version_submit(
            actor=request.user,
            version=self.get_object(),
            revision=payload.validated_data.get("revision"),
        )
        return self._read(version)

    @extend_schema(
        summary="Sign (approve) the content with the given hash",
        request=s.ApproveSerializer,
        responses={200: s.VersionDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        payload = s.ApproveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = self.get_object()
        services.version_approve(actor=request.user, version=version, **payload.validated_data)
        return self._read(version)

    @extend_schema(
        summary="Send the version back for changes",
        request=s.DecisionSerializer,
        responses={200: s.VersionDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        payload = s.DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = self.get_object()
        services.version_request_changes(
            actor=request.user, version=version, comment=payload.validated_data["comment"]
        )
        return self._read(version)

    @extend_schema(
        summary="Reject the version",
        request=s.DecisionSerializer,
        responses={200: s.VersionDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        payload = s.DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = self.get_object()
        services.version_reject(
            actor=request.user, version=version, comment=payload.validated_data["comment"]
        )
        return self._read(version)

    @extend_schema(
        summary="Withdraw an open version",
        request=None,
        responses={200: s.VersionDetailSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        version = services.version_withdraw(actor=request.user, version=self.get_object())
        return self._read(version)


@extend_schema_view(
    list=extend_schema(summary="List reviews and signatures"),
    retrieve=extend_schema(summary="Get a review"),
)
class ReviewViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["created_at"]
    queryset = Review.objects.select_related("version", "version__procedure", "reviewer").order_by(
        "-created_at", "-id"
    )


@extend_schema_view(
    list=extend_schema(summary="List acknowledgements"),
    retrieve=extend_schema(summary="Get an acknowledgement"),
)
class AcknowledgementViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.AcknowledgementSerializer
    filterset_class = AcknowledgementFilter
    ordering_fields = ["acknowledged_at"]
    queryset = Acknowledgement.objects.select_related("procedure", "version", "user").order_by(
        "-acknowledged_at", "-id"
    )


document(
    ProcedureViewSet,
    {
        "list": (
            "List procedures",
            "Every procedure with the number and dates of the version in force and of its "
            "open version, if any. Filter by category, IS element, status or due review.",
        ),
        "retrieve": (
            "Get a procedure",
            "One procedure by its slug, with the version in force and its open version.",
        ),
        "create": (
            "Create a procedure with its first draft",
            "Editors create a procedure and its version 1.0 as a draft in one call. Submit "
            "the draft for review with the versions endpoint.",
        ),
        "partial_update": (
            "Change a procedure's metadata",
            "Category, IS elements, review interval, owner and the number of approvals "
            "needed. Lowering the approvals needs an approver; a version already in review "
            "keeps the number it was submitted under (only someone who may review it can "
            "raise it).",
        ),
        "withdraw": (
            "Withdraw (retire) a procedure",
            "Approvers retire a procedure; it stays readable with its history.",
        ),
        "acknowledge": (
            "Acknowledge the version in force",
            "The caller confirms having read the current version. Acknowledging again the "
            "same major version answers 200 and changes nothing; a new one answers 201.",
        ),
    },
)
document(
    ProcedureVersionViewSet,
    {
        "list": (
            "List procedure versions",
            "Versions of every procedure, newest first. ``awaiting_my_review=true`` lists "
            "the versions the caller may still sign.",
        ),
        "retrieve": (
            "Get a version with its text and signatures",
            "The version's text, its authors (everyone who changed its content), the "
            "approvals it needs and the signatures of the content under review.",
        ),
        "create": (
            "Open a new draft of a procedure",
            "Editors open the next version of a procedure (major or minor). A procedure has "
            "at most one open version.",
        ),
        "partial_update": (
            "Edit a draft (send the revision you started from)",
            "Saves the draft's text. Send the ``revision`` you read: if somebody saved in "
            "between, nothing is written and the answer is 409. Whoever changes the text "
            "becomes one of its authors and may not approve it.",
        ),
        "submit": (
            "Submit a draft for review",
            "Freezes the content (its SHA-256 is what approvers sign) and fixes the number "
            "of approvals it needs.",
        ),
        "approve": (
            "Sign (approve) the content with the given hash",
            "Approvers sign exactly the content whose ``content_sha256`` they send. None of "
            "the version's authors may sign. Once enough approvals are in, the version is "
            "published.",
        ),
        "request_changes": (
            "Send the version back for changes",
            "Approvers who did not write it send it back to draft with a comment.",
        ),
        "reject": (
            "Reject the version",
            "Approvers who did not write it reject it with a comment; it stays in the history.",
        ),
        "withdraw": (
            "Withdraw an open version",
            "Editors take back a draft or a version in review; the version in force stays.",
        ),
    },
)
document(
    ReviewViewSet,
    {
        "list": (
            "List reviews and signatures",
            "Every review decision: who, when, what it means and the content hash signed.",
        ),
        "retrieve": ("Get a review", "One review decision by its id."),
    },
)
document(
    AcknowledgementViewSet,
    {
        "list": (
            "List acknowledgements",
            "Who acknowledged which version of which procedure, newest first.",
        ),
        "retrieve": ("Get an acknowledgement", "One acknowledgement by its id."),
    },
)


# Chains a client follows: a new procedure's draft → submit → the review decisions.
_VERSION = {"id": "$response.body#/id"}
for source, answer in (
    ("v1_procedure_versions_create", "201"),
    ("v1_procedure_versions_request_changes_create", "200"),
):
    link(source, answer, "Edit", "v1_procedure_versions_partial_update", parameters=_VERSION)
    link(
        source,
        answer,
        "Submit",
        "v1_procedure_versions_submit_create",
        parameters=_VERSION,
        requestBody={"revision": "$response.body#/revision"},
    )
    link(source, answer, "Withdraw", "v1_procedure_versions_withdraw_create", parameters=_VERSION)
link(
    "v1_procedures_create",
    "201",
    "SubmitFirstDraft",
    "v1_procedure_versions_submit_create",
    parameters={"id": "$response.body#/open_version_id"},
    requestBody={"revision": 1},
)
for name, target in (
    ("Get", "v1_procedures_retrieve"),
    ("Change", "v1_procedures_partial_update"),
    ("Acknowledge", "v1_procedures_acknowledge_create"),
    ("Withdraw", "v1_procedures_withdraw_create"),
):
    link("v1_procedures_create", "201", name, target, parameters={"slug": "$response.body#/slug"})
link(
    "v1_procedure_versions_submit_create",
    "200",
    "Approve",
    "v1_procedure_versions_approve_create",
    parameters=_VERSION,
    requestBody={"content_sha256": "$response.body#/content_sha256"},
)
link(
    "v1_procedure_versions_submit_create",
    "200",
    "RequestChanges",
    "v1_procedure_versions_request_changes_create",
    parameters=_VERSION,
    requestBody={"comment": "Say which datasets this covers."},
)
link(
    "v1_procedure_versions_submit_create",
    "200",
    "Reject",
    "v1_procedure_versions_reject_create",
    parameters=_VERSION,
    requestBody={"comment": "Covered by another procedure."},
)
