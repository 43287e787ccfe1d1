from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.i18n import pick
from procedures.choices import (
    EDITABLE_STATUSES,
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
        return pick(self.name, self.name_ru)


# The account the portal itself acts as (seeding, demo approvals). It cannot log in.
SYSTEM_USERNAME = "portal"

# Path segments of the procedures pages that a slug must not shadow.
RESERVED_SLUGS = frozenset({"new", "preview", "review-queue", "overdue", "api"})


def _current_versions(now):
    """Approved versions in force at ``now``, newest first, for one outer procedure."""
    return ProcedureVersion.objects.filter(
        procedure=OuterRef("pk"), status=VersionStatus.APPROVED, effective_from__lte=now
    ).order_by("-effective_from", "-major", "-minor")


class ProcedureQuerySet(models.QuerySet):
    def with_current(self, now=None):
        """Annotate the version in force: the latest approved one whose
        ``effective_from`` has come. Derived on every read, so no clock job flips it."""
        now = now or timezone.now()
        current = _current_versions(now)
        open_version = ProcedureVersion.objects.filter(
            procedure=OuterRef("pk"), status__in=[s.value for s in OPEN_STATUSES]
        )
        return self.annotate(
            current_version_id=Subquery(current.values("pk")[:1]),
            current_major=Subquery(current.values("major")[:1]),
            current_minor=Subquery(current.values("minor")[:1]),
            current_effective_from=Subquery(current.values("effective_from")[:1]),
            open_status=Subquery(open_version.values("status")[:1]),
            open_version_id=Subquery(open_version.values("pk")[:1]),
            open_major=Subquery(open_version.values("major")[:1]),
            open_minor=Subquery(open_version.values("minor")[:1]),
        )

    def active(self):
        return self.filter(withdrawn_at__isnull=True)

    def overdue(self, now=None):
        now = now or timezone.now()
        return self.active().filter(review_due_at__lt=now)

    def with_acknowledged_by(self, user, now=None):
        """Needs ``with_current``: whether ``user`` acknowledged the current major."""
        acks = Acknowledgement.objects.filter(
            procedure=OuterRef("pk"), user=user, major=OuterRef("current_major")
        )
        return self.annotate(acknowledged=Exists(acks))


class ProcedureVersionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=[s.value for s in OPEN_STATUSES])

    def awaiting_review_by(self, user):
        """Versions in review that ``user`` may sign and has not signed in this form."""
        signed = Review.objects.filter(
            version=OuterRef("pk"),
            reviewer=user,
            decision=ReviewDecision.APPROVE,
            content_sha256=OuterRef("content_sha256"),
        )
        authored = ProcedureVersion.authors.through.objects.filter(
            procedureversion_id=OuterRef("pk"), user_id=user.pk
        )
        return (
            self.filter(status=VersionStatus.IN_REVIEW, procedure__withdrawn_at__isnull=True)
            .exclude(author=user)
            .exclude(Exists(authored))
            .exclude(Exists(signed))
        )

    def with_relations(self):
        return self.select_related("procedure", "procedure__category", "author")


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

    objects = ProcedureQuerySet.as_manager()

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

    def clean(self) -> None:
        if self.slug in RESERVED_SLUGS:
            raise ValidationError({"slug": _("This slug is reserved; choose another one.")})

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def current_number(self) -> str:
        """From ``with_current`` annotations."""
        major = getattr(self, "current_major", None)
        if major is None:
            return ""
        return f"{major}.{self.current_minor}"

    @property
    def open_number(self) -> str:
        major = getattr(self, "open_major", None)
        if major is None:
            return ""
        return f"{major}.{self.open_minor}"

    @property
    def open_status_label(self) -> str:
        status = getattr(self, "open_status", None)
        return VersionStatus(status).label if status else ""

    @property
    def is_review_overdue(self) -> bool:
        return bool(
            self.review_due_at and not self.is_withdrawn and self.review_due_at < timezone.now()
        )


class ProcedureVersion(models.Model):
    # What an author writes in a draft: the editor, the API and the services pass these together.
    CONTENT_FIELDS = ("title", "body", "change_kind", "change_summary", "effective_from")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField()
    # The title is part of the frozen content: renaming a procedure is a change reviewers see.
    title = models.CharField(_("title"), max_length=200, blank=True)
    change_kind = models.CharField(
        max_length=10, choices=ChangeKind.choices, default=ChangeKind.MAJOR
    )
    body = models.TextField(_("text"), blank=True)
    change_summary = models.CharField(_("change summary"), max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_versions"
    )
    # Everyone who changed the content, the first author included: none of them may
    # approve it (four-eyes), whoever opened the draft.
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="contributed_versions", blank=True
    )
    status = models.CharField(
        max_length=20, choices=VersionStatus.choices, default=VersionStatus.DRAFT, db_index=True
    )
    effective_from = models.DateTimeField(_("effective from"), null=True, blank=True)
    content_sha256 = models.CharField(max_length=64, blank=True)
    # The approvals this version needs, fixed when it is submitted: lowering the
    # procedure's number mid-review does not lower the bar for the version in review.
    required_approvals = models.PositiveSmallIntegerField(
        _("approvals needed"), null=True, blank=True
    )
    # Optimistic locking: every save of a draft must name the revision it started from.
    revision = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProcedureVersionQuerySet.as_manager()

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

    @property
    def approvals_needed(self) -> int:
        """The bar this version is reviewed against: its own once submitted."""
        return self.required_approvals or self.procedure.required_approvals

    def is_authored_by(self, user) -> bool:
        """Whether ``user`` wrote any of this version's content."""
        pk = getattr(user, "pk", None)
        if pk is None:
            return False
        if self.author_id == pk:
            return True
        cached = getattr(self, "_prefetched_objects_cache", {}).get("authors")
        if cached is not None:
            return any(a.pk == pk for a in cached)
        return self.authors.filter(pk=pk).exists()

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_frozen(self) -> bool:
        return self.status not in EDITABLE_STATUSES

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
            # Per content: after changes are requested and the text is resubmitted,
            # the same reviewer signs the new content again.
            models.UniqueConstraint(
                fields=["version", "reviewer", "content_sha256"],
                condition=Q(decision=ReviewDecision.APPROVE),
                name="one_approval_per_reviewer_and_content",
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
