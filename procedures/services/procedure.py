"""Services for procedures as a whole: creating, changing the metadata, withdrawing,
acknowledging."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.errors import WorkflowError
from portal.models import Element
from portal.policy import can, require
from portal.validation import refuse_nul
from procedures.choices import ChangeKind, VersionStatus
from procedures.content import version_sha256
from procedures.models import Acknowledgement, Category, Procedure
from procedures.selectors import current_version_of
from procedures.services._common import lock_procedure
from procedures.services.version import version_create


def _procedure_snapshot(procedure: Procedure) -> dict:
    return {
        "title": procedure.title,
        "slug": procedure.slug,
        "category": procedure.category.slug,
        "owner": procedure.owner.get_username(),
        "elements": sorted(e.code for e in procedure.elements.all()),
        "review_interval_days": procedure.review_interval_days,
        "required_approvals": procedure.required_approvals,
        "withdrawn_at": procedure.withdrawn_at,
    }


def _elements(codes_or_objects: Iterable) -> list[Element]:
    items = list(codes_or_objects)
    codes = [e.code if isinstance(e, Element) else str(e) for e in items]
    found = list(Element.objects.filter(code__in=codes))
    missing = sorted(set(codes) - {e.code for e in found})
    if missing:
        raise ValidationError({"elements": [_("Unknown elements: %s.") % ", ".join(missing)]})
    return found


def _check_numbers(review_interval_days: int, required_approvals: int) -> None:
    errors = {}
    if not isinstance(review_interval_days, int) or not 1 <= review_interval_days <= 3650:
        errors["review_interval_days"] = [_("Give a number of days between 1 and 3650.")]
    if not isinstance(required_approvals, int) or not 1 <= required_approvals <= 20:
        errors["required_approvals"] = [_("Give a number of approvals between 1 and 20.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def procedure_create(
    *,
    actor,
    title: str,
    slug: str,
    category: Category,
    body: str,
    elements: Iterable = (),
    review_interval_days: int = 365,
    required_approvals: int = 1,
    owner=None,
    change_summary: str = "",
    change_kind: str = ChangeKind.MAJOR,
    number: tuple[int, int] | None = None,
) -> Procedure:
    """A new procedure with its first draft."""
    require(actor, "procedure.create")
    _check_numbers(review_interval_days, required_approvals)
    procedure = Procedure(
        title=title.strip(),
        slug=slug.strip(),
        category=category,
        owner=owner or actor,
        review_interval_days=review_interval_days,
        required_approvals=required_approvals,
    )
    procedure.full_clean()
    element_rows = _elements(elements)
    try:
        with transaction.atomic():
            procedure.save()
    except IntegrityError as exc:
        raise ValidationError({"slug": [_("A procedure with this slug already exists.")]}) from exc
    procedure.elements.set(element_rows)
    audit_record(
        actor=actor, verb="procedure.create", obj=procedure, after=_procedure_snapshot(procedure)
    )
    version_create(
        actor=actor,
        procedure=procedure,
        title=procedure.title,
        body=body,
        change_kind=change_kind,
        change_summary=change_summary,
        number=number or (1, 0),
    )
    return procedure


def _change_required_approvals(actor, procedure: Procedure, required: int) -> None:
    """Lowering the bar is an approver's call. A version already in review keeps the
    bar it was submitted under; an approver who may review it can only raise it."""
    if required < procedure.required_approvals:
        require(
            actor,
            "procedure.lower_approvals",
            procedure,
            _("Only an approver can lower the number of approvals a procedure needs."),
        )
    procedure.required_approvals = required
    in_review = (
        procedure.versions.select_for_update()
        .filter(status=VersionStatus.IN_REVIEW)
        .select_related("procedure")
        .first()
    )
    if in_review is None or required <= in_review.approvals_needed:
        return
    if not can(actor, "version.raise_approvals", in_review):
        return
    before = in_review.approvals_needed
    in_review.required_approvals = required
    in_review.save(update_fields=["required_approvals", "updated_at"])
    audit_record(
        actor=actor,
        verb="procedure.version_approvals_raise",
        obj=in_review,
        before={"required_approvals": before},
        after={"required_approvals": required},
    )


@transaction.atomic
def procedure_update(
    *,
    actor,
    procedure: Procedure,
    category: Category | None = None,
    elements: Iterable | None = None,
    review_interval_days: int | None = None,
    required_approvals: int | None = None,
    owner=None,
) -> Procedure:
    """Change what is not versioned text. A new interval moves the due date with it."""
    require(actor, "procedure.update", procedure)
    procedure = lock_procedure(procedure)
    if procedure.is_withdrawn:
        raise WorkflowError(_("The procedure has been withdrawn."), code="withdrawn")
    before = _procedure_snapshot(procedure)
    interval = review_interval_days or procedure.review_interval_days
    _check_numbers(interval, required_approvals or procedure.required_approvals)
    if category is not None:
        procedure.category = category
    if owner is not None:
        procedure.owner = owner
    if required_approvals is not None and required_approvals != procedure.required_approvals:
        _change_required_approvals(actor, procedure, required_approvals)
    if review_interval_days is not None and review_interval_days != procedure.review_interval_days:
        if procedure.review_due_at is not None:
            procedure.review_due_at += timedelta(
                days=review_interval_days - procedure.review_interval_days
            )
        procedure.review_interval_days = review_interval_days
    procedure.save()
    if elements is not None:
        procedure.elements.set(_elements(elements))
    after = _procedure_snapshot(procedure)
    if after != before:
        audit_record(
            actor=actor, verb="procedure.update", obj=procedure, before=before, after=after
        )
    return procedure


@transaction.atomic
def procedure_withdraw(*, actor, procedure: Procedure, reason: str = "") -> Procedure:
    """Retire a procedure: it stays readable as history, open versions are closed and
    nobody is asked to acknowledge it any more."""
    require(actor, "procedure.withdraw", procedure)
    procedure = lock_procedure(procedure)
    if procedure.is_withdrawn:
        raise WorkflowError(_("The procedure has already been withdrawn."), code="withdrawn")
    refuse_nul(reason, "reason")
    before = _procedure_snapshot(procedure)
    now = timezone.now()
    procedure.withdrawn_at = now
    procedure.save(update_fields=["withdrawn_at", "updated_at"])
    closed = []
    for version in procedure.versions.open().select_for_update():
        version.status = VersionStatus.WITHDRAWN
        version.decided_at = now
        if not version.content_sha256:
            version.content_sha256 = version_sha256(version)
        version.save(update_fields=["status", "decided_at", "content_sha256", "updated_at"])
        closed.append(version.number)
    audit_record(
        actor=actor,
        verb="procedure.withdraw",
        obj=procedure,
        before=before,
        after={**_procedure_snapshot(procedure), "reason": reason.strip()[:500], "closed": closed},
    )
    return procedure


@transaction.atomic
def procedure_acknowledge(*, actor, procedure: Procedure) -> tuple[Acknowledgement, bool]:
    """Record that ``actor`` read the current version. One acknowledgement covers a
    whole major version; a second click changes nothing."""
    require(actor, "procedure.acknowledge", procedure)
    if procedure.is_withdrawn:
        raise WorkflowError(_("The procedure has been withdrawn."), code="withdrawn")
    current = current_version_of(procedure)
    if current is None:
        raise WorkflowError(
            _("This procedure has no version in force to acknowledge."), code="no_current_version"
        )
    ack, created = Acknowledgement.objects.get_or_create(
        procedure=procedure, user=actor, major=current.major, defaults={"version": current}
    )
    if created:
        audit_record(
            actor=actor,
            verb="procedure.acknowledge",
            obj=procedure,
            after={"version": current.number, "major": current.major},
        )
    return ack, created
