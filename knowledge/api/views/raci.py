"""The responsibility-matrix API: roles, activities and the cells between them.
Views parse and answer; services decide."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from knowledge import services
from knowledge.api import serializers as s
from knowledge.api.views._common import PolicyActionsMixin
from knowledge.models import Activity, Assignment, Role
from portal.api.schema import document


class RoleViewSet(
    PolicyActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.RoleSerializer
    queryset = Role.objects.all()
    lookup_field = "slug"
    write_actions = {
        "create": "matrix.edit",
        "partial_update": "matrix.edit",
        "update": "matrix.edit",
    }

    def perform_create(self, serializer):
        serializer.instance = services.role_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("slug", None)
        serializer.instance = services.role_update(
            actor=self.request.user, role=serializer.instance, **data
        )


class ActivityViewSet(
    PolicyActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.ActivitySerializer
    queryset = Activity.objects.select_related("procedure").prefetch_related(
        "elements", "assignments__role"
    )
    lookup_field = "slug"
    write_actions = {"create": "matrix.edit"}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        elements = data.pop("element_codes", [])
        activity = services.activity_create(actor=self.request.user, elements=elements, **data)
        serializer.instance = self.get_queryset().get(pk=activity.pk)


class AssignmentViewSet(PolicyActionsMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The cells of the matrix. POST sets one cell (an empty letter clears it)."""

    serializer_class = s.AssignmentSerializer
    queryset = Assignment.objects.select_related("activity", "role").order_by(
        "activity__order", "role__order"
    )
    write_actions = {"create": "matrix.edit"}

    @extend_schema(
        request=s.AssignmentSerializer, responses={200: s.AssignmentSerializer, 204: None}
    )
    def create(self, request):
        data = s.AssignmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.assignment_set(
            actor=request.user,
            activity=data.validated_data["activity"],
            role=data.validated_data["role"],
            letter=data.validated_data["letter"],
        )
        if assignment is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(s.AssignmentSerializer(assignment).data)


document(
    RoleViewSet,
    {
        "list": ("List RACI roles", "The roles of the responsibility matrix, with their groups."),
        "retrieve": ("Get a RACI role", "One role by its slug."),
        "create": (
            "Create a RACI role",
            "Editors add a role, optionally mapped to a Keycloak group.",
        ),
        "update": ("Replace a RACI role", "Editors change a role's name, group or description."),
        "partial_update": ("Change a RACI role", "Editors change some of a role's fields."),
    },
)
document(
    ActivityViewSet,
    {
        "list": ("List RACI activities", "The activities (rows) of the responsibility matrix."),
        "retrieve": ("Get a RACI activity", "One activity by its slug."),
        "create": (
            "Create a RACI activity",
            "Editors add an activity, tagged with IS elements and optionally a procedure.",
        ),
    },
)
document(
    AssignmentViewSet,
    {
        "list": ("List matrix cells", "Every R, A, C or I of an activity and a role."),
        "create": (
            "Set one matrix cell",
            "Editors set the letter of an activity and a role; an empty letter clears it "
            "(204). Each activity has exactly one A.",
        ),
    },
)
