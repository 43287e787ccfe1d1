"""Reads for the procedures pages, the API and the home panel, each with the joins
it needs so a page costs the same number of queries however much data there is."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from portal.policy import can
from portal.roles import ROLE_NAMES
from procedures.choices import ReviewDecision, SignatureMeaning, VersionStatus
from procedures.models import (
    SYSTEM_USERNAME,
    Acknowledgement,
    Procedure,
    ProcedureVersion,
    Review,
)

# Filter values of the list page's "status" select.
LIST_STATUSES = ("current", "none", "in_review", "draft", "overdue", "withdrawn")


def current_version_of(procedure: Procedure, now=None) -> ProcedureVersion | None:
    now = now or timezone.now()
    return (
        procedure.versions.filter(status=VersionStatus.APPROVED, effective_from__lte=now)
        .order_by("-effective_from", "-major", "-minor")
        .first()
    )


def procedure_list(
    *,
    category: str = "",
    status: str = "",
    element: str = "",
    q: str = "",
    now=None,
) -> QuerySet[Procedure]:
    now = now or timezone.now()
    qs = (
        Procedure.objects.with_current(now)
        .select_related("category", "owner")
        .prefetch_related("elements")
    )
    if category:
        qs = qs.filter(category__slug=category)
    if element:
        qs = qs.filter(elements__code=element)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(slug__icontains=q))
    if status == "current":
        qs = qs.active().filter(current_version_id__isnull=False)
    elif status == "none":
        qs = qs.active().filter(current_version_id__isnull=True)
    elif status == "in_review":
        qs = qs.active().filter(open_status=VersionStatus.IN_REVIEW)
    elif status == "draft":
        qs = qs.active().filter(
            open_status__in=[VersionStatus.DRAFT, VersionStatus.CHANGES_REQUESTED]
        )
    elif status == "overdue":
        qs = qs.overdue(now)
    elif status == "withdrawn":
        qs = qs.filter(withdrawn_at__isnull=False)
    return qs.order_by("category__order", "category__name", "title")


def procedure_for_page(slug: str, now=None) -> Procedure:
    return (
        Procedure.objects.with_current(now)
        .select_related("category", "owner")
        .prefetch_related("elements")
        .get(slug=slug)
    )


def history_of(procedure: Procedure) -> list[ProcedureVersion]:
    """All versions, newest first, each knowing which one is current (for its phase)."""
    versions = list(procedure.versions.select_related("author").order_by("-major", "-minor"))
    current_id = getattr(procedure, "current_version_id", None)
    for version in versions:
        version.current_id = current_id
    return versions


def version_for_page(procedure: Procedure, major: int, minor: int) -> ProcedureVersion:
    version = (
        procedure.versions.select_related("author", "procedure", "procedure__category")
        .prefetch_related(
            Prefetch("reviews", queryset=Review.objects.select_related("reviewer")),
            Prefetch("authors", queryset=get_user_model().objects.order_by("username")),
        )
        .get(major=major, minor=minor)
    )
    version.current_id = getattr(procedure, "current_version_id", None)
    return version


def readers() -> QuerySet:
    """People expected to read procedures: everybody holding a portal role."""
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=ROLE_NAMES) | Q(is_superuser=True))
        .exclude(username=SYSTEM_USERNAME)
        .distinct()
        .order_by("username")
    )


@dataclass
class AcknowledgementStatus:
    acknowledged: list[Acknowledgement]
    earlier: list[Acknowledgement]
    pending: list


def acknowledgement_status(
    procedure: Procedure, current: ProcedureVersion | None
) -> AcknowledgementStatus:
    acks = list(procedure.acknowledgements.select_related("user", "version"))
    if current is None:
        return AcknowledgementStatus([], acks, [])
    this_major = [a for a in acks if a.major == current.major]
    done = {a.user_id for a in this_major}
    pending = [u for u in readers() if u.pk not in done]
    return AcknowledgementStatus(
        acknowledged=this_major,
        earlier=[a for a in acks if a.major != current.major],
        pending=pending,
    )


def has_acknowledged(user, procedure: Procedure, current: ProcedureVersion | None) -> bool:
    if current is None or not user.is_authenticated:
        return False
    return procedure.acknowledgements.filter(user=user, major=current.major).exists()


def awaiting_review(user) -> QuerySet[ProcedureVersion]:
    if not can(user, "version.review"):
        return ProcedureVersion.objects.none()
    return ProcedureVersion.objects.awaiting_review_by(user)


def review_queue(user) -> QuerySet[ProcedureVersion]:
    """The review page's rows, with each one's signature count."""
    return (
        awaiting_review(user)
        .with_relations()
        .annotate(
            signatures=Count(
                "reviews",
                filter=Q(
                    reviews__decision=ReviewDecision.APPROVE,
                    reviews__meaning=SignatureMeaning.APPROVED,
                    reviews__content_sha256=F("content_sha256"),
                ),
            )
        )
        .order_by("submitted_at", "id")
    )


def overdue_procedures(now=None) -> QuerySet[Procedure]:
    now = now or timezone.now()
    return (
        Procedure.objects.with_current(now)
        .overdue(now)
        .select_related("category", "owner")
        .order_by("review_due_at", "title")
    )


def unacknowledged_by(user, now=None) -> QuerySet[Procedure]:
    """Procedures in force whose current major ``user`` has not acknowledged."""
    now = now or timezone.now()
    return (
        Procedure.objects.with_current(now)
        .active()
        .filter(current_version_id__isnull=False)
        .with_acknowledged_by(user)
        .filter(acknowledged=False)
        .select_related("category")
        .order_by("category__order", "title")
    )


def home_panel(request) -> dict:
    """The procedures block of the platform map: three counts and a few names, in a
    fixed number of queries."""
    user = request.user
    now = timezone.now()
    overdue = overdue_procedures(now)
    unread = unacknowledged_by(user, now)
    return {
        # Only the number: no joins or signature counts on the home page's hot path.
        "review_count": awaiting_review(user).count(),
        "overdue_count": overdue.count(),
        "overdue": list(overdue[:3]),
        "unacknowledged_count": unread.count(),
        "unacknowledged": list(unread[:5]),
        "total": Procedure.objects.active().count(),
    }


def procedures_for_export(now=None) -> list[tuple[Procedure, ProcedureVersion]]:
    """Each procedure in force with its current version and that version's signatures."""
    now = now or timezone.now()
    procedures = list(
        Procedure.objects.with_current(now)
        .active()
        .filter(current_version_id__isnull=False)
        .select_related("category")
        .prefetch_related("elements")
        .order_by("slug")
    )
    versions = {
        v.pk: v
        for v in ProcedureVersion.objects.filter(
            pk__in=[p.current_version_id for p in procedures]
        ).prefetch_related(
            Prefetch(
                "reviews",
                queryset=Review.objects.filter(decision=ReviewDecision.APPROVE).select_related(
                    "reviewer"
                ),
            )
        )
    }
    result = []
    for procedure in procedures:
        version = versions[procedure.current_version_id]
        version.procedure = procedure
        result.append((procedure, version))
    return result
