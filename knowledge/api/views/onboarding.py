"""The onboarding API: tracks and the people enrolled on them. Views parse and
answer; services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404  # a malformed id is a 404, not a 500
from rest_framework.response import Response

from knowledge import services
from knowledge.api import serializers as s
from knowledge.api.views._common import PolicyActionsMixin
from knowledge.models import Enrolment, Track
from knowledge.selectors import onboarding as onboarding_selectors
from portal.api.schema import document
from portal.policy import can


class TrackViewSet(
    PolicyActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.TrackSerializer
    queryset = Track.objects.select_related("role").prefetch_related(
        "steps__procedure", "steps__adr", "steps__depends_on"
    )
    write_actions = {"create": "track.edit", "steps": "track.edit"}

    def perform_create(self, serializer):
        serializer.instance = services.track_create(
            actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=s.TrackStepSerializer, responses={201: s.TrackStepSerializer})
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        track = self.get_object()
        data = s.TrackStepSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        depends_on = values.pop("depends_on", [])
        step = services.track_step_create(
            actor=request.user, track=track, depends_on=depends_on, **values
        )
        return Response(s.TrackStepSerializer(step).data, status=status.HTTP_201_CREATED)


class EnrolmentViewSet(
    PolicyActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """People on tracks. Everybody sees their own; editors and leads see all."""

    serializer_class = s.EnrolmentSerializer
    # The person completes their own steps (checked by the service), so a reader may post.
    write_actions = {"create": "enrolment.create", "complete": "portal.read"}

    queryset = Enrolment.objects.none()

    def get_queryset(self):
        qs = Enrolment.objects.for_progress().order_by("id")
        if getattr(self, "swagger_fake_view", False):
            return qs
        if not can(self.request.user, "onboarding.view_all"):
            qs = qs.filter(user=self.request.user)
        return qs

    def perform_create(self, serializer):
        serializer.instance = services.enrolment_create(
            actor=self.request.user, **serializer.validated_data
        )

    @extend_schema(responses={200: s.ProgressSerializer})
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        enrolment = self.get_object()
        return Response(s.ProgressSerializer(onboarding_selectors.progress_of([enrolment])[0]).data)

    @extend_schema(responses={200: s.ProgressSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="progress", pagination_class=None)
    def progress_all(self, request):
        enrolments = list(self.get_queryset())
        return Response(
            s.ProgressSerializer(onboarding_selectors.progress_of(enrolments), many=True).data
        )

    @extend_schema(request=s.CompleteStepSerializer, responses={200: s.ProgressSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        enrolment = get_object_or_404(Enrolment.objects.select_related("user", "track"), pk=pk)
        data = s.CompleteStepSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.step_complete(
            actor=request.user, enrolment=enrolment, step=data.validated_data["step"]
        )
        return Response(s.ProgressSerializer(onboarding_selectors.progress_for(enrolment)).data)


document(
    TrackViewSet,
    {
        "list": ("List onboarding tracks", "One track per role, with its steps."),
        "retrieve": ("Get an onboarding track", "One track with its steps in phases."),
        "create": ("Create an onboarding track", "Editors create the track of a role."),
        "steps": (
            "Add a step to a track",
            "Editors add a step: acknowledge a procedure, read a decision, a task or an "
            "access check.",
        ),
    },
)
document(
    EnrolmentViewSet,
    {
        "list": (
            "List enrolments",
            "People on tracks. Everybody sees their own; editors and leads see all.",
        ),
        "retrieve": ("Get an enrolment", "One person's enrolment on a track."),
        "create": ("Enrol a person on a track", "Editors and leads bring a person in."),
        "progress": ("Progress of one enrolment", "Each step with its state and due date."),
        "progress_all": (
            "Progress of every enrolment",
            "Done and due steps per enrolment the caller may see.",
        ),
        "complete": (
            "Complete a step",
            "The enrolled person marks one of their own steps done.",
        ),
    },
)
