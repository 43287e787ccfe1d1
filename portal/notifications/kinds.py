"""The kinds of notification a person can receive and the sentences they are told
in. Kept in the portal (words only, no app imports) so that one catalogue holds
them and the preferences page lists them all."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    REVIEW_REQUESTED = "review_requested", _("A version awaits my review")
    VERSION_DECIDED = "version_decided", _("My version was approved, rejected or sent back")
    REVIEW_DUE = "review_due", _("A procedure I own is due for review")
    ACKNOWLEDGEMENT_REQUIRED = (
        "acknowledgement_required",
        _("A new major version I must acknowledge"),
    )
    ONBOARDING_OVERDUE = "onboarding_overdue", _("An onboarding step of mine is overdue")
    ONBOARDING_COMPLETED = (
        "onboarding_completed",
        _("Somebody I am buddy to finished their onboarding"),
    )
    FINDING_OPENED = "finding_opened", _("An inventory finding appeared (administrators)")
    ADR_DECIDED = "adr_decided", _("An architecture decision was accepted or rejected")


# Sentences by key; the parameters are filled when the notification is shown, in
# the reader's language.
TEXTS = {
    "version_submitted": _("%(actor)s submitted “%(object)s” for review"),
    "version_approved": _("“%(object)s” was approved by %(actor)s"),
    "version_rejected": _("“%(object)s” was rejected by %(actor)s"),
    "version_changes_requested": _("%(actor)s sent “%(object)s” back for changes"),
    "review_due": _("“%(object)s” is due for review on %(date)s"),
    "review_overdue": _("The review of “%(object)s” was due on %(date)s"),
    "acknowledgement_required": _("“%(object)s” is a new major version: read and acknowledge it"),
    "onboarding_overdue": _("Onboarding step “%(object)s” was due on %(date)s"),
    "onboarding_completed": _("%(person)s finished the onboarding track “%(object)s”"),
    "finding_opened": _("Inventory finding: %(object)s"),
    "adr_accepted": _("%(actor)s accepted “%(object)s”"),
    "adr_rejected": _("%(actor)s rejected “%(object)s”"),
}
