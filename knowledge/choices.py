from django.db import models
from django.utils.translation import gettext_lazy as _


class AdrStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DEPRECATED = "deprecated", _("Deprecated")
    SUPERSEDED = "superseded", _("Superseded")


# Which status an approver's action may start from, and where it leads.
STATUS_ACTIONS = {
    "accept": ({AdrStatus.PROPOSED, AdrStatus.REJECTED}, AdrStatus.ACCEPTED),
    "reject": ({AdrStatus.PROPOSED}, AdrStatus.REJECTED),
    "deprecate": ({AdrStatus.ACCEPTED}, AdrStatus.DEPRECATED),
}


class LinkKind(models.TextChoices):
    """Stored in one direction only; the other end reads the reverse label."""

    SUPERSEDES = "supersedes", _("Supersedes")
    AMENDS = "amends", _("Amends")
    RELATES_TO = "relates_to", _("Relates to")


REVERSE_LABELS = {
    LinkKind.SUPERSEDES: _("Superseded by"),
    LinkKind.AMENDS: _("Amended by"),
    LinkKind.RELATES_TO: _("Relates to"),
}


class RaciLetter(models.TextChoices):
    RESPONSIBLE = "R", _("Responsible (R)")
    ACCOUNTABLE = "A", _("Accountable (A)")
    CONSULTED = "C", _("Consulted (C)")
    INFORMED = "I", _("Informed (I)")


# A role holding A on more activities than this is a single point of failure.
ACCOUNTABLE_OVERLOAD = 5


class FindingLevel(models.TextChoices):
    ERROR = "error", _("Error")
    WARNING = "warning", _("Warning")


class Phase(models.TextChoices):
    FIRST_DAY = "first_day", _("First day")
    FIRST_WEEK = "first_week", _("First week")
    FIRST_MONTH = "first_month", _("First month")


# Days after the start date by which a phase's steps are due.
PHASE_DUE_DAYS = {Phase.FIRST_DAY: 0, Phase.FIRST_WEEK: 7, Phase.FIRST_MONTH: 30}
PHASE_ORDER = {Phase.FIRST_DAY: 0, Phase.FIRST_WEEK: 1, Phase.FIRST_MONTH: 2}


class StepKind(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge a procedure")
    READ_ADR = "read_adr", _("Read a decision record")
    TASK = "task", _("Task")
    ACCESS_CHECK = "access_check", _("Access check")
    # Reach level 2 ("works alone") in a skill of the skills catalogue; the buddy confirms.
    SKILL_LEVEL = "skill_level", _("Reach a skill level")


class StepState(models.TextChoices):
    """Derived for a person and a step, never stored."""

    DONE = "done", _("Done")
    OPEN = "open", _("Open")
    BLOCKED = "blocked", _("Waiting for earlier steps")
    UNAVAILABLE = "unavailable", _("Procedure has no current version")


# The tone of each status's badge (``registry.add_badge_tones``).
BADGE_TONES = {
    AdrStatus.PROPOSED: "warn",
    AdrStatus.ACCEPTED: "ok",
    AdrStatus.REJECTED: "bad",
    AdrStatus.DEPRECATED: "muted",
    AdrStatus.SUPERSEDED: "muted",
}
