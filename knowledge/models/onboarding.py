"""Onboarding: a track per role, steps in phases, people enrolled on a track."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from knowledge.choices import PHASE_DUE_DAYS, PHASE_ORDER, Phase, StepKind
from portal.i18n import pick

# A step's fields that editors set (besides its track and dependencies): the service
# accepts these, the form and the API expose them, the audit records them.
STEP_FIELDS = (
    "phase",
    "kind",
    "title",
    "title_ru",
    "description",
    "procedure",
    "adr",
    "url",
    "access_group",
    "skill",
    "order",
)


class Track(models.Model):
    role = models.OneToOneField(
        "knowledge.Role", on_delete=models.CASCADE, related_name="track", verbose_name=_("role")
    )
    title = models.CharField(_("title"), max_length=200)
    title_ru = models.CharField(_("title in Russian"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["role__order", "title"]
        verbose_name = _("onboarding track")
        verbose_name_plural = _("onboarding tracks")

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return pick(self.title, self.title_ru)


class TrackStep(models.Model):
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="steps")
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=StepKind.choices)
    title = models.CharField(_("title"), max_length=200)
    title_ru = models.CharField(_("title in Russian"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="onboarding_steps",
        verbose_name=_("procedure"),
    )
    adr = models.ForeignKey(
        "knowledge.Adr",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="onboarding_steps",
        verbose_name=_("decision record"),
    )
    url = models.URLField(_("link"), blank=True)
    access_group = models.CharField(_("Keycloak group or role"), max_length=200, blank=True)
    # The slug of a skill in the skills catalogue (an app above this one, so no key).
    skill = models.SlugField(_("skill"), max_length=80, blank=True, default="", db_default="")
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="dependents",
        verbose_name=_("depends on"),
    )

    class Meta:
        ordering = ["track", "order", "id"]
        verbose_name = _("onboarding step")
        verbose_name_plural = _("onboarding steps")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=StepKind.ACKNOWLEDGE) | Q(procedure__isnull=False),
                name="step_acknowledge_has_procedure",
            ),
            models.CheckConstraint(
                condition=~Q(kind=StepKind.READ_ADR) | Q(adr__isnull=False),
                name="step_read_adr_has_adr",
            ),
            models.CheckConstraint(
                condition=~Q(kind=StepKind.ACCESS_CHECK) | ~Q(access_group=""),
                name="step_access_check_has_group",
            ),
            models.CheckConstraint(
                condition=~Q(kind=StepKind.SKILL_LEVEL) | ~Q(skill=""),
                name="step_skill_level_has_skill",
            ),
        ]

    def __str__(self) -> str:
        return self.display_title

    @property
    def display_title(self) -> str:
        return pick(self.title, self.title_ru)

    @property
    def phase_index(self) -> int:
        return PHASE_ORDER[Phase(self.phase)]

    def due_date(self, start: datetime.date) -> datetime.date:
        return start + datetime.timedelta(days=PHASE_DUE_DAYS[Phase(self.phase)])

    def clean(self) -> None:
        needs = {
            StepKind.ACKNOWLEDGE: ("procedure", self.procedure_id, _("Choose the procedure.")),
            StepKind.READ_ADR: ("adr", self.adr_id, _("Choose the decision record.")),
            StepKind.ACCESS_CHECK: ("access_group", self.access_group, _("Name the group.")),
            StepKind.SKILL_LEVEL: ("skill", self.skill, _("Name the skill.")),
        }
        if self.kind in needs:
            field, value, message = needs[StepKind(self.kind)]
            if not value:
                raise ValidationError({field: message})


class EnrolmentQuerySet(models.QuerySet):
    def for_progress(self):
        return self.select_related("user", "buddy", "track", "track__role").prefetch_related(
            "completions",
            models.Prefetch(
                "track__steps",
                queryset=TrackStep.objects.select_related("procedure", "adr").prefetch_related(
                    "depends_on"
                ),
            ),
        )


class Enrolment(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("person"),
    )
    track = models.ForeignKey(
        Track, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("track")
    )
    start_date = models.DateField(_("start date"))
    buddy = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buddy_of",
        verbose_name=_("buddy"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["user", "track"], name="one_enrolment_per_track"),
            models.CheckConstraint(condition=~Q(buddy=models.F("user")), name="buddy_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.track}"


class StepCompletion(models.Model):
    """A task or a reading marked done by the person, or a skill level confirmed by
    the buddy. Acknowledgement and access steps are never stored here: they are
    derived from the facts they check."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="completions")
    step = models.ForeignKey(TrackStep, on_delete=models.CASCADE, related_name="completions")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    completed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "step"], name="one_completion_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} ✓ {self.step}"
