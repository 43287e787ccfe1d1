"""Who hears about what happens to procedures. Rules read the audit event a service
wrote and name the recipients; the portal stores and delivers the messages."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.notifications import (
    Message,
    Resolved,
    add_notification_check,
    add_notification_rule,
    notification_kind,
)
from portal.notifications.recipients import users_with_role
from portal.roles import PortalRole
from procedures.choices import ChangeKind, VersionStatus
from procedures.models import SYSTEM_USERNAME, Procedure, ProcedureVersion
from procedures.search import procedure_url, version_url

# Owners hear of a coming review this long before it is due.
REVIEW_NOTICE = timedelta(days=14)


REVIEW_REQUESTED = "review_requested"
VERSION_DECIDED = "version_decided"
REVIEW_DUE = "review_due"
ACKNOWLEDGEMENT_REQUIRED = "acknowledgement_required"


def _version(event) -> ProcedureVersion | None:
    if event.object_type != "procedures.procedureversion":
        return None
    return ProcedureVersion.objects.select_related("procedure").filter(pk=event.object_id).first()


def _params(event, version: ProcedureVersion, detail: str = "") -> dict:
    """``detail`` is what people wrote: the change summary, or the reviewer's comment."""
    params = {"actor": event.actor_label, "object": f"{version.procedure.title} v{version.number}"}
    detail = detail or version.change_summary
    if detail:
        params["detail"] = detail[:500]
    return params


def ack_key(procedure_id: int, major: int) -> str:
    return f"ack:{procedure_id}:{major}"


def _url(version: ProcedureVersion) -> str:
    return version_url(version.procedure.slug, version.major, version.minor)


def review_requested(event):
    version = _version(event)
    if version is None or version.status != VersionStatus.IN_REVIEW:
        return []
    reviewers = (
        users_with_role(PortalRole.APPROVER)
        .exclude(pk=version.author_id)
        .exclude(contributed_versions=version)
    )
    return [
        Message(
            kind=REVIEW_REQUESTED,
            recipients=list(reviewers.values_list("pk", flat=True)),
            text_key="version_submitted",
            params=_params(event, version),
            url=_url(version),
            dedup_key=f"review:{version.pk}:{version.content_sha256[:16]}",
        )
    ]


def version_approved(event):
    version = _version(event)
    if version is None or not (event.after or {}).get("published"):
        return []
    messages = [
        Message(
            kind=VERSION_DECIDED,
            recipients=[version.author_id],
            text_key="version_approved",
            params=_params(event, version),
            url=_url(version),
        )
    ]
    if version.change_kind == ChangeKind.MAJOR and version.major > 1:
        readers = users_with_role(PortalRole.VIEWER).exclude(username=SYSTEM_USERNAME)
        messages.append(
            Message(
                kind=ACKNOWLEDGEMENT_REQUIRED,
                recipients=list(readers.values_list("pk", flat=True)),
                text_key="acknowledgement_required",
                params=_params(event, version),
                url=procedure_url(version.procedure.slug),
                dedup_key=ack_key(version.procedure_id, version.major),
            )
        )
    return messages


def _decided(text_key: str):
    def rule(event):
        version = _version(event)
        if version is None:
            return []
        return [
            Message(
                kind=VERSION_DECIDED,
                recipients=[version.author_id],
                text_key=text_key,
                params=_params(event, version, (event.after or {}).get("comment", "")),
                url=_url(version),
            )
        ]

    return rule


def acknowledgement_done(event):
    """Once she has acknowledged, the notice asking her to is settled."""
    major = (event.after or {}).get("major")
    if event.object_type != "procedures.procedure" or major is None or event.actor_id is None:
        return []
    return [Resolved([event.actor_id], ack_key(int(event.object_id), int(major)))]


def reviews_coming_due(now=None):
    """Owners of procedures whose review is due within two weeks or already late;
    once per due date, so a procedure reviewed again reminds again next time."""
    now = now or timezone.now()
    due = (
        Procedure.objects.active()
        .filter(review_due_at__lte=now + REVIEW_NOTICE, owner__is_active=True)
        .select_related("owner")
        .exclude(owner__username=SYSTEM_USERNAME)
    )
    for procedure in due:
        late = procedure.review_due_at < now
        yield Message(
            kind=REVIEW_DUE,
            recipients=[procedure.owner_id],
            text_key="review_overdue" if late else "review_due",
            params={"object": procedure.title, "date": f"{procedure.review_due_at:%Y-%m-%d}"},
            url=procedure_url(procedure.slug),
            dedup_key=f"review-due:{procedure.pk}:{procedure.review_due_at:%Y-%m-%d}:{late}",
        )


def register() -> None:
    notification_kind(
        REVIEW_REQUESTED,
        _("A version awaits my review"),
        texts={"version_submitted": _("%(actor)s submitted “%(object)s” for review")},
    )
    notification_kind(
        VERSION_DECIDED,
        _("My version was approved, rejected or sent back"),
        texts={
            "version_approved": _("“%(object)s” was approved by %(actor)s"),
            "version_rejected": _("“%(object)s” was rejected by %(actor)s"),
            "version_changes_requested": _("%(actor)s sent “%(object)s” back for changes"),
        },
    )
    notification_kind(
        REVIEW_DUE,
        _("A procedure I own is due for review"),
        texts={
            "review_due": _("“%(object)s” is due for review on %(date)s"),
            "review_overdue": _("The review of “%(object)s” was due on %(date)s"),
        },
    )
    notification_kind(
        ACKNOWLEDGEMENT_REQUIRED,
        _("A new major version I must acknowledge"),
        texts={
            "acknowledgement_required": _(
                "“%(object)s” is a new major version: read and acknowledge it"
            )
        },
    )
    add_notification_rule("procedure.version_submit", review_requested)
    add_notification_rule("procedure.version_approve", version_approved)
    add_notification_rule("procedure.version_reject", _decided("version_rejected"))
    add_notification_rule(
        "procedure.version_request_changes", _decided("version_changes_requested")
    )
    add_notification_rule("procedure.acknowledge", acknowledgement_done)
    add_notification_check("procedures.review_due", reviews_coming_due)
