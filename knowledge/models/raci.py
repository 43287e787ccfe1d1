"""The responsibility (RACI) matrix: roles × activities, one letter per cell."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from knowledge.choices import RaciLetter
from portal.i18n import pick


class Role(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_ru = models.CharField(_("name in Russian"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    # The Keycloak group whose members hold this role (path or name, e.g. /ml/engineers).
    keycloak_group = models.CharField(_("Keycloak group"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_ru)


class ActivityQuerySet(models.QuerySet):
    def for_matrix(self):
        return self.select_related("procedure").prefetch_related("elements", "assignments")


class Activity(models.Model):
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_ru = models.CharField(_("name in Russian"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    elements = models.ManyToManyField(
        "portal.Element", blank=True, related_name="activities", verbose_name=_("IS elements")
    )
    procedure = models.ForeignKey(
        "procedures.Procedure",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        verbose_name=_("procedure"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return pick(self.name, self.name_ru)


class Assignment(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="assignments")
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="assignments")
    letter = models.CharField(_("letter"), max_length=1, choices=RaciLetter.choices)

    class Meta:
        ordering = ["activity", "role"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["activity", "role"], name="raci_one_letter_per_cell"),
            # Exactly one Accountable: "at most one" here, "at least one" is a finding.
            models.UniqueConstraint(
                fields=["activity"],
                condition=Q(letter=RaciLetter.ACCOUNTABLE),
                name="raci_one_accountable_per_activity",
            ),
            models.CheckConstraint(
                condition=Q(letter__in=[c.value for c in RaciLetter]), name="raci_letter_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity} / {self.role}: {self.letter}"
