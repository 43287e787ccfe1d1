from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from procedures.choices import (
    OPEN_STATUSES,
    ChangeKind,
    ReviewDecision,
    SignatureMeaning,
    VersionPhase,
    VersionStatus,
)


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_ru = models.CharField(_("name in Russian"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name_ru and (get_language() or "").startswith("ru"):
            return self.name_ru
        return self.name


class Procedure(models.Model):
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=False)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("category")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_procedures",
        verbose_name=_("owner"),
    )
    elements = models.ManyToManyField("portal.Element", blank=True, verbose_name=_("IS elements"))
    review_interval_days = models.PositiveIntegerField(_("review interval (days)"), default=365)
    required_approvals = models.PositiveSmallIntegerField(_("approvals needed"), default=1)
    # Set by the service that approves a version: the next review is due then.
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True, db_index=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__order", "title"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")
        constraints = [
            models.CheckConstraint(
                condition=Q(required_approvals__gte=1), name="procedure_needs_an_approval"
            ),
            models.CheckConstraint(
                condition=Q(review_interval_days__gte=1), name="procedure_review_interval_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class ProcedureVersion(models.Model):
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    change_kind = models.CharField(
        max_length=10, choices=ChangeKind.choices, default=ChangeKind.MAJOR
    )
    body = models.TextField(_("text"), blank=True)
    change_summary = models.CharField(_("change summary"), max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_versions"
    )
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT, db_index=True
    )
    effective_from = models.DateTimeField(_("effective from"), null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    # Optimistic locking: every save of a draft must name the revision it started from.
    revision = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["procedure_id", "-major", "-minor"]
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "major", "minor"], name="version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="one_open_version_per_procedure",
            ),
            models.CheckConstraint(
                condition=Q(status=VersionStatus.DRAFT) | ~Q(content_sha256=""),
                name="frozen_version_has_hash",
            ),
        ]
        indexes = [
            models.Index(
                fields=["procedure", "status", "effective_from"], name="version_current_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure.title} v{self.number}"

    @property
    def number(self) -> str:
        return f"{self.major}.{self.minor}"

    def phase(self, now=None) -> VersionPhase | None:
        """Only meaningful for approved versions; needs ``current_id`` from the selector
        or a procedure-level lookup to tell current from superseded."""
        if self.status != VersionStatus.APPROVED:
            return None
        now = now or timezone.now()
        if self.effective_from and self.effective_from > now:
            return VersionPhase.SCHEDULED
        current_id = getattr(self, "current_id", None)
        if current_id is not None and current_id != self.pk:
            return VersionPhase.SUPERSEDED
        return VersionPhase.CURRENT


class Review(models.Model):
    """A reviewer's decision on a version. An approval is a signature: who, when, what
    it means and the hash of the exact content approved."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices)
    meaning = models.CharField(
        max_length=20, choices=SignatureMeaning.choices, default=SignatureMeaning.APPROVED
    )
    comment = models.TextField(blank=True)
    content_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "reviewer"],
                condition=Q(decision=ReviewDecision.APPROVE),
                name="one_approval_per_reviewer",
            )
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} {self.decision} {self.version}"


class Acknowledgement(models.Model):
    """A reader confirms they read the current version. Keyed by major number: a
    minor version keeps the acknowledgement, a major one needs a new one."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    version = models.ForeignKey(
        ProcedureVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    major = models.PositiveIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "user", "major"], name="one_ack_per_major")
        ]

    def __str__(self) -> str:
        return f"{self.user} acknowledged {self.version}"
