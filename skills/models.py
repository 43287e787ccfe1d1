"""The skills catalogue, what level each person has in each skill (stated by the
person, confirmed by a lead), and the skills each RACI role needs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.i18n import pick as _pick
from skills.choices import HOLDS, Level


class Skill(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_ru = models.CharField(_("name in Russian"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    description_ru = models.TextField(_("description in Russian"), blank=True)
    elements = models.ManyToManyField(
        "portal.Element", blank=True, related_name="skills", verbose_name=_("IS elements")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("skills:detail", args=[self.slug])

    @property
    def display_name(self) -> str:
        return _pick(self.name, self.name_ru)

    @property
    def display_description(self) -> str:
        return _pick(self.description, self.description_ru)


class SkillComponent(models.Model):
    """A software component the skill is about, by the product name the inventory
    recognises ("MLflow", "KServe"): components are rows per cluster and workload, and
    come back under new ids after a restore, while the product name stays."""

    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="components")
    component_name = models.CharField(_("component"), max_length=200)

    class Meta:
        ordering = ["skill", "component_name"]
        verbose_name = _("component of a skill")
        verbose_name_plural = _("components of skills")
        constraints = [
            models.UniqueConstraint(fields=["skill", "component_name"], name="skill_component_once")
        ]

    def __str__(self) -> str:
        return f"{self.skill} → {self.component_name}"


class PersonSkillQuerySet(models.QuerySet):
    def holding(self, *, confirmed_only: bool = False):
        qs = self.filter(level__gte=HOLDS, user__is_active=True)
        return qs.filter(confirmed_level=models.F("level")) if confirmed_only else qs


class PersonSkill(models.Model):
    """A person's level in a skill. ``level`` is what they say; ``confirmed_level``
    is what a lead confirmed last. The level is confirmed while the two agree, so a
    person raising their own level shows as unconfirmed until someone confirms again."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="skill_levels",
        verbose_name=_("person"),
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    confirmed_level = models.PositiveSmallIntegerField(
        _("confirmed level"), choices=Level.choices, null=True, blank=True
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PersonSkillQuerySet.as_manager()

    class Meta:
        ordering = ["skill__order", "skill__name", "user__username"]
        verbose_name = _("skill level")
        verbose_name_plural = _("skill levels")
        constraints = [
            models.UniqueConstraint(fields=["user", "skill"], name="one_level_per_person_skill"),
            models.CheckConstraint(condition=Q(level__lte=3), name="person_skill_level_0_3"),
            models.CheckConstraint(
                condition=Q(confirmed_level__isnull=True) | Q(confirmed_level__lte=3),
                name="person_skill_confirmed_level_0_3",
            ),
        ]
        indexes = [models.Index(fields=["skill", "level"], name="person_skill_by_level")]

    def __str__(self) -> str:
        return f"{self.user} · {self.skill}: {self.level}"

    @property
    def confirmed(self) -> bool:
        return self.confirmed_level is not None and self.confirmed_level == self.level


class RoleSkill(models.Model):
    """A RACI role needs this skill at this level."""

    role = models.ForeignKey(
        "knowledge.Role", on_delete=models.CASCADE, related_name="needed_skills"
    )
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="needed_by")
    level = models.PositiveSmallIntegerField(
        _("level needed"), choices=Level.choices, default=HOLDS
    )

    class Meta:
        ordering = ["role__order", "skill__order", "skill__name"]
        verbose_name = _("skill a role needs")
        verbose_name_plural = _("skills roles need")
        constraints = [
            models.UniqueConstraint(fields=["role", "skill"], name="role_needs_skill_once"),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=3), name="role_skill_level_1_3"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} needs {self.skill} ≥ {self.level}"
