"""Services for procedure versions: drafting, submitting and the review decisions."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.errors import ConflictError, WorkflowError
from portal.markdown import validate_markdown
from portal.policy import PolicyDenied, require
from portal.validation import has_nul, nul_message, refuse_nul
from procedures import workflow
from procedures.choices import ChangeKind, ReviewDecision, SignatureMeaning, VersionStatus
from procedures.content import normalise_body, version_sha256
from procedures.models import Procedure, ProcedureVersion, Review
from procedures.services._common import expect, lock_procedure, lock_version, version_snapshot


def _validate_content(*, title: str, body: str, change_summary: str, change_kind: str) -> None:
    errors: dict[str, list[str]] = {}
    if not title.strip():
        errors["title"] = [_("A title is required.")]
    elif len(title.strip()) > 200:
        errors["title"] = [_("The title is longer than 200 characters.")]
    try:
        validate_markdown(body)
    except ValidationError as exc:
        errors["body"] = exc.messages
    if has_nul(title):
        errors.setdefault("title", []).append(nul_message())
    if has_nul(change_summary):
        errors["change_summary"] = [nul_message()]
    elif len(change_summary) > 500:
        errors["change_summary"] = [_("The change summary is longer than 500 characters.")]
    if change_kind not in ChangeKind.values:
        errors["change_kind"] = [_("Unknown kind of change.")]
    if errors:
        raise ValidationError(errors)


def _content(version: ProcedureVersion) -> tuple:
    return tuple(getattr(version, field) for field in ProcedureVersion.CONTENT_FIELDS)


def next_number(
    procedure: Procedure, change_kind: str, *, exclude: ProcedureVersion | None = None
) -> tuple[int, int]:
    """A major change starts the next major; a minor one continues the latest major."""
    versions = procedure.versions.all()
    if exclude is not None:
        versions = versions.exclude(pk=exclude.pk)
    top_major = versions.aggregate(m=Max("major"))["m"]
    if top_major is None:
        return (1, 0)
    if change_kind == ChangeKind.MAJOR:
        return (top_major + 1, 0)
    top_minor = versions.filter(major=top_major).aggregate(m=Max("minor"))["m"]
    return (top_major, top_minor + 1)


def _number_is_free(procedure: Procedure, number: tuple[int, int]) -> bool:
    """A requested number must be new and later than every existing version."""
    highest = procedure.versions.order_by("-major", "-minor").values_list("major", "minor").first()
    return highest is None or number > tuple(highest)


@transaction.atomic
def version_create(
    *,
    actor,
    procedure: Procedure,
    body: str,
    title: str | None = None,
    change_kind: str = ChangeKind.MAJOR,
    change_summary: str = "",
    effective_from: datetime | None = None,
    number: tuple[int, int] | None = None,
) -> ProcedureVersion:
    """Open a new draft. A procedure has at most one open version at a time."""
    require(actor, "version.create", procedure)
    procedure = lock_procedure(procedure)
    if procedure.is_withdrawn:
        raise WorkflowError(_("The procedure has been withdrawn."), code="withdrawn")
    body = normalise_body(body)
    title = (title if title is not None else procedure.title).strip()
    _validate_content(
        title=title, body=body, change_summary=change_summary, change_kind=change_kind
    )
    if procedure.versions.open().exists():
        raise WorkflowError(
            _("This procedure already has an open version; edit that one instead."),
            code="open_version_exists",
        )
    if number is None or not _number_is_free(procedure, number):
        number = next_number(procedure, change_kind)
    try:
        with transaction.atomic():
            version = ProcedureVersion.objects.create(
                procedure=procedure,
                major=number[0],
                minor=number[1],
                title=title,
                body=body,
                change_kind=change_kind,
                change_summary=change_summary.strip(),
                effective_from=effective_from,
                author=actor,
            )
            version.authors.add(actor)
    except IntegrityError as exc:
        raise WorkflowError(
            _("Somebody opened a version of this procedure at the same time."),
            code="open_version_exists",
        ) from exc
    audit_record(
        actor=actor, verb="procedure.version_create", obj=version, after=version_snapshot(version)
    )
    return version


@transaction.atomic
def version_update(
    *,
    actor,
    version: ProcedureVersion,
    revision: int,
    title: str,
    body: str,
    change_summary: str,
    change_kind: str,
    effective_from: datetime | None = None,
) -> ProcedureVersion:
    """Save a draft. ``revision`` is the one the editor started from: if somebody saved
    in between, nothing is written and a ConflictError says so."""
    require(actor, "version.edit", version)
    version = lock_version(version)
    expect(version, "edit")
    if revision != version.revision:
        raise ConflictError(
            _(
                "Somebody saved this draft while you were editing it (you started from "
                "revision %(yours)s, it is now at %(theirs)s)."
            )
            % {"yours": revision, "theirs": version.revision}
        )
    body = normalise_body(body)
    title = title.strip()
    _validate_content(
        title=title, body=body, change_summary=change_summary, change_kind=change_kind
    )
    before = version_snapshot(version)
    content_before = _content(version)
    if change_kind != version.change_kind:
        version.major, version.minor = next_number(version.procedure, change_kind, exclude=version)
    version.title = title
    version.body = body
    version.change_summary = change_summary.strip()
    version.change_kind = change_kind
    version.effective_from = effective_from
    version.revision += 1
    version.save()
    if _content(version) != content_before:
        version.authors.add(actor)
    audit_record(
        actor=actor,
        verb="procedure.version_update",
        obj=version,
        before=before,
        after=version_snapshot(version),
    )
    return version


@transaction.atomic
def version_submit(
    *, actor, version: ProcedureVersion, revision: int | None = None
) -> ProcedureVersion:
    """Freeze the content for review: its hash is what approvers will sign."""
    require(actor, "version.submit", version)
    version = lock_version(version)
    expect(version, "submit")
    if revision is not None and revision != version.revision:
        raise ConflictError(
            _("The draft changed since you opened it; review the latest text and submit again.")
        )
    if not version.body.strip():
        raise ValidationError({"body": [_("An empty text cannot be submitted.")]})
    before = version_snapshot(version)
    version.status = workflow.target("submit", version.status)
    version.content_sha256 = version_sha256(version)
    version.submitted_at = timezone.now()
    # The bar is fixed now; a resubmission after requested changes never lowers it.
    version.required_approvals = max(
        version.required_approvals or 0, version.procedure.required_approvals
    )
    version.save()
    audit_record(
        actor=actor,
        verb="procedure.version_submit",
        obj=version,
        before=before,
        after=version_snapshot(version),
    )
    return version


def approvals_of(version: ProcedureVersion):
    """Signatures that count: approvals of exactly the content now under review."""
    return version.reviews.filter(
        decision=ReviewDecision.APPROVE,
        meaning=SignatureMeaning.APPROVED,
        content_sha256=version.content_sha256,
    )


@transaction.atomic
def version_approve(
    *,
    actor,
    version: ProcedureVersion,
    content_sha256: str,
    meaning: str = SignatureMeaning.APPROVED,
    comment: str = "",
) -> Review:
    """Sign a version. When the signatures meaning "approved" reach the number the
    procedure needs, the version is published (effective now or at its planned date)."""
    require(actor, "version.approve", version)
    version = lock_version(version)
    # The rule again, on the locked row: four-eyes must hold whatever the caller passed.
    if version.is_authored_by(actor):
        raise PolicyDenied("version.approve", version, _("You cannot approve your own version."))
    expect(version, "approve")
    if meaning not in SignatureMeaning.values:
        raise ValidationError({"meaning": [_("Unknown meaning of a signature.")]})
    refuse_nul(comment, "comment")
    if content_sha256 != version.content_sha256:
        raise ConflictError(
            _("The version is not the one you read (its content hash differs); reload it."),
        )
    if version.reviews.filter(
        reviewer=actor, decision=ReviewDecision.APPROVE, content_sha256=version.content_sha256
    ).exists():
        raise WorkflowError(_("You have already signed this version."), code="already_signed")
    review = Review.objects.create(
        version=version,
        reviewer=actor,
        decision=ReviewDecision.APPROVE,
        meaning=meaning,
        comment=comment.strip(),
        content_sha256=version.content_sha256,
    )
    signatures = approvals_of(version).count()
    published = signatures >= version.approvals_needed
    before = version_snapshot(version)
    if published:
        _publish(version)
    audit_record(
        actor=actor,
        verb="procedure.version_approve",
        obj=version,
        before=before,
        after={
            **version_snapshot(version),
            "meaning": meaning,
            "signatures": signatures,
            "required": version.approvals_needed,
            "published": published,
        },
    )
    return review


def _publish(version: ProcedureVersion) -> None:
    now = timezone.now()
    version.status = VersionStatus.APPROVED
    version.decided_at = now
    if version.effective_from is None or version.effective_from < now:
        version.effective_from = now
    version.save()
    procedure = version.procedure
    procedure.review_due_at = version.effective_from + timedelta(
        days=procedure.review_interval_days
    )
    if version.effective_from <= now and version.title:
        procedure.title = version.title
    procedure.save(update_fields=["review_due_at", "title", "updated_at"])


def _decide(*, actor, version, action: str, decision: str, comment: str, verb: str) -> Review:
    require(actor, "version.review", version)
    version = lock_version(version)
    if version.is_authored_by(actor):
        raise PolicyDenied("version.review", version, _("You cannot review your own version."))
    expect(version, action)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": [_("Say what should change: a comment is required.")]})
    refuse_nul(comment, "comment")
    if len(comment) > 10_000:
        raise ValidationError({"comment": [_("The comment is longer than 10000 characters.")]})
    before = version_snapshot(version)
    review = Review.objects.create(
        version=version,
        reviewer=actor,
        decision=decision,
        meaning=SignatureMeaning.REVIEWED,
        comment=comment,
        content_sha256=version.content_sha256,
    )
    version.status = workflow.target(action, version.status)
    if version.status == VersionStatus.REJECTED:
        version.decided_at = timezone.now()
    version.save()
    audit_record(
        actor=actor,
        verb=verb,
        obj=version,
        before=before,
        after={**version_snapshot(version), "comment": comment[:500]},
    )
    return review


@transaction.atomic
def version_request_changes(*, actor, version: ProcedureVersion, comment: str) -> Review:
    return _decide(
        actor=actor,
        version=version,
        action="request_changes",
        decision=ReviewDecision.REQUEST_CHANGES,
        comment=comment,
        verb="procedure.version_request_changes",
    )


@transaction.atomic
def version_reject(*, actor, version: ProcedureVersion, comment: str) -> Review:
    return _decide(
        actor=actor,
        version=version,
        action="reject",
        decision=ReviewDecision.REJECT,
        comment=comment,
        verb="procedure.version_reject",
    )


@transaction.atomic
def version_withdraw(*, actor, version: ProcedureVersion) -> ProcedureVersion:
    """Take back an open version; the procedure keeps its current one."""
    require(actor, "version.withdraw", version)
    version = lock_version(version)
    expect(version, "withdraw")
    before = version_snapshot(version)
    version.status = VersionStatus.WITHDRAWN
    version.decided_at = timezone.now()
    if not version.content_sha256:
        # A frozen state must carry its hash (a database constraint).
        version.content_sha256 = version_sha256(version)
    version.save()
    audit_record(
        actor=actor,
        verb="procedure.version_withdraw",
        obj=version,
        before=before,
        after=version_snapshot(version),
    )
    return version
