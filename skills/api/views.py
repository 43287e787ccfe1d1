"""The skills API under /api/v1/skills/. Views parse and answer; services decide."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from knowledge.models import Role
from portal.api.schema import document
from portal.validation import has_nul
from skills import selectors, services
from skills.api import serializers as s
from skills.models import PersonSkill, RoleSkill, Skill


class SkillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The skills catalogue. Editors add and change skills."""

    serializer_class = s.SkillSerializer
    queryset = Skill.objects.prefetch_related("elements", "components")
    lookup_field = "slug"
    write_action = "skill.edit"

    @extend_schema(request=s.SkillWriteSerializer, responses={201: s.SkillSerializer})
    def create(self, request):
        data = s.SkillWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        skill = services.skill_create(actor=request.user, **data.validated_data)
        return Response(
            s.SkillSerializer(self.get_queryset().get(pk=skill.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=s.SkillWriteSerializer, responses=s.SkillSerializer)
    def partial_update(self, request, slug=None):
        skill = self.get_object()
        data = s.SkillWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        fields.pop("slug", None)
        services.skill_update(actor=request.user, skill=skill, **fields)
        return Response(s.SkillSerializer(self.get_queryset().get(pk=skill.pk)).data)


class PersonSkillViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People's levels. ``POST`` sets your own level in a skill (creating or changing
    it); ``POST …/{id}/confirm/`` confirms someone's (leads, admins, their buddy)."""

    serializer_class = s.PersonSkillSerializer
    write_action = "portal.read"  # the services check whose level it is

    def get_queryset(self):
        qs = PersonSkill.objects.select_related("user", "skill", "confirmed_by").order_by(
            "skill__order", "skill__slug", "user__username"
        )
        if self.action == "list":
            params = self.request.query_params
            for name in ("user", "skill"):
                # PostgreSQL refuses NUL in a text comparison: a 400, not a 500.
                if has_nul(params.get(name, "")) or len(params.get(name, "")) > 150:
                    raise ApiValidationError({name: ["Not a valid name."]})
            if params.get("user"):
                qs = qs.filter(user__username=params["user"])
            if params.get("skill"):
                qs = qs.filter(skill__slug=params["skill"])
        return qs

    @extend_schema(
        parameters=[
            OpenApiParameter("user", str, description="username"),
            OpenApiParameter("skill", str, description="skill slug"),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=s.PersonSkillSerializer, responses={200: s.PersonSkillSerializer})
    def create(self, request):
        data = s.PersonSkillSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ps = services.person_skill_set(
            actor=request.user,
            user=request.user,
            skill=data.validated_data["skill"],
            level=data.validated_data["level"],
        )
        return Response(s.PersonSkillSerializer(self.get_queryset().get(pk=ps.pk)).data)

    @extend_schema(request=None, responses=s.PersonSkillSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        ps = self.get_object()
        services.person_skill_confirm(actor=request.user, person_skill=ps)
        return Response(s.PersonSkillSerializer(self.get_queryset().get(pk=ps.pk)).data)


class RoleSkillViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """What each RACI role needs. ``POST`` sets a need (role, skill, level)."""

    serializer_class = s.RoleSkillSerializer
    queryset = RoleSkill.objects.select_related("role", "skill")
    write_action = "skill.edit"

    @extend_schema(request=s.RoleSkillWriteSerializer, responses=s.RoleSkillSerializer)
    def create(self, request):
        data = s.RoleSkillWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        role = Role.objects.filter(slug=data.validated_data["role"]).first()
        skill = Skill.objects.filter(slug=data.validated_data["skill"]).first()
        if role is None or skill is None:
            raise ApiValidationError(
                {"role" if role is None else "skill": ["No such role or skill."]}
            )
        rs = services.role_skill_set(
            actor=request.user, role=role, skill=skill, level=data.validated_data["level"]
        )
        return Response(s.RoleSkillSerializer(self.get_queryset().get(pk=rs.pk)).data)

    def perform_destroy(self, instance):
        services.role_skill_remove(actor=self.request.user, role_skill=instance)


class CoverageView(APIView):
    """Holders at level 2 or more per skill, bus factor, gaps, the "dragon warrior"
    and the findings; ``?confirmed=1`` counts confirmed levels only."""

    @extend_schema(parameters=[OpenApiParameter("confirmed", bool)], responses=s.CoverageSerializer)
    def get(self, request):
        confirmed = request.query_params.get("confirmed", "")
        if confirmed not in ("", "0", "1", "true", "false"):
            raise ApiValidationError({"confirmed": ["Use 1 or 0."]})
        cov = selectors.coverage(confirmed_only=confirmed in ("1", "true"))
        dragon = None
        if cov.dragon and cov.dragon[0] is not None:
            dragon = {
                "person": cov.dragon[0].get_username(),
                "sole_holder_of": [sk.slug for sk in cov.dragon[1]],
            }
        data = {
            "skills": [
                {
                    "skill": skill.slug,
                    "holders": [u.get_username() for u in people],
                    "bus_factor_one": len(people) == 1,
                }
                for skill, people in cov.holder_rows
            ],
            "gaps": cov.gaps,
            "dragon": dragon,
            "findings": selectors.findings(cov),
        }
        return Response(s.CoverageSerializer(data).data)


document(
    SkillViewSet,
    {
        "list": ("List the skills", "The skills catalogue with IS elements and components."),
        "retrieve": ("Get a skill", "One skill of the catalogue by its slug."),
        "create": ("Add a skill (editors)", "Editors add a skill to the catalogue."),
        "partial_update": ("Change a skill (editors)", "Editors change a skill's fields."),
    },
)
document(
    PersonSkillViewSet,
    {
        "list": ("List people's levels", "Who holds which skill at which level, confirmed or not."),
        "retrieve": ("Get one person's level", "One person's level in one skill."),
        "create": (
            "Set my level in a skill",
            "Sets the caller's own level (0 none, 1 learning, 2 works alone, 3 can teach).",
        ),
        "confirm": (
            "Confirm a level (leads, admins, buddy)",
            "A lead, an admin or the person's onboarding buddy confirms the level; never one's own.",
        ),
    },
)
document(
    RoleSkillViewSet,
    {
        "list": ("List what roles need", "Each RACI role's needed skills and the level needed."),
        "create": ("Set a role's need (editors)", "Editors say a role needs a skill at a level."),
        "destroy": (
            "Remove a role's need (editors)",
            "Editors remove a skill from a role's needs.",
        ),
    },
)
document(
    CoverageView,
    {
        "get": (
            "Skills coverage",
            "Holders at level 2 or more per skill, bus factor, gaps per role, the "
            '"dragon warrior" check and the findings; ``confirmed=1`` counts confirmed levels only.',
        )
    },
)
