from django.db import models
from django.utils.translation import gettext_lazy as _


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# A procedure has at most one version in these states at a time (a partial unique index).
OPEN_STATUSES = (VersionStatus.DRAFT, VersionStatus.IN_REVIEW, VersionStatus.CHANGES_REQUESTED)
# Content may change only in these.
EDITABLE_STATUSES = (VersionStatus.DRAFT, VersionStatus.CHANGES_REQUESTED)


class ChangeKind(models.TextChoices):
    MAJOR = "major", _("Major: everyone must acknowledge again")
    MINOR = "minor", _("Minor: editorial, acknowledgements carry over")


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REQUEST_CHANGES = "request_changes", _("Request changes")
    REJECT = "reject", _("Reject")


class SignatureMeaning(models.TextChoices):
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")


class VersionPhase(models.TextChoices):
    """Where an approved version stands in time; derived, never stored."""

    CURRENT = "current", _("Current")
    SCHEDULED = "scheduled", _("Scheduled")
    SUPERSEDED = "superseded", _("Superseded")


# The tone of each status's badge (``registry.add_badge_tones``).
BADGE_TONES = {
    VersionStatus.DRAFT: "muted",
    VersionStatus.IN_REVIEW: "warn",
    VersionStatus.CHANGES_REQUESTED: "warn",
    VersionStatus.APPROVED: "ok",
    VersionStatus.REJECTED: "bad",
    VersionStatus.WITHDRAWN: "bad",
    VersionPhase.CURRENT: "ok",
    VersionPhase.SCHEDULED: "warn",
    VersionPhase.SUPERSEDED: "muted",
}
