"""Reads for the procedures pages, the API and the home panel, each with the joins
it needs so a page costs the same number of queries however much data there is."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from portal import diffing
from portal.memo import per_request
from portal.notifications.recipients import users_with_role
from portal.policy import can
from portal.roles import ROLE_NAMES, PortalRole
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
    user=None,
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
    elif status == "unread":
        if user is None or not user.is_authenticated:
            return qs.none()
        qs = (
            qs.active()
            .filter(current_version_id__isnull=False)
            .with_acknowledged_by(user)
            .filter(acknowledged=False)
        )
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
    acks = Acknowledgement.objects.filter(
        procedure=OuterRef("pk"), major=OuterRef("current_major")
    ).order_by()
    qs = qs.annotate(
        ack_count=Subquery(
            acks.values("procedure").annotate(n=Count("id")).values("n")[:1],
            output_field=IntegerField(),
        )
    )
    return qs.order_by("category__order", "category__name", "title")


def coverage(procedures, readers_count: int) -> None:
    """Set ``coverage`` (0–100) on each procedure of a page of ``procedure_list``:
    the share of readers who acknowledged its current major."""
    for p in procedures:
        done = p.ack_count or 0
        p.coverage = round(100 * done / readers_count) if readers_count else 0
        p.coverage_done = done


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


def unread_count(request) -> int:
    """How many procedures in force the person has not acknowledged, counted once per
    request (the platform map's card and "My work" both say it)."""
    return per_request(request, "procedures:unread", unacknowledged_by(request.user).count)


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
        "unacknowledged_count": unread_count(request),
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


def version_text(version: ProcedureVersion) -> str:
    """What a reader compares: the title as a heading, then the body."""
    return f"# {version.title}\n\n{version.body}"


def baseline_of(version: ProcedureVersion) -> ProcedureVersion | None:
    """The version a reviewer compares ``version`` with: the one in force, or, for
    the version in force itself (or an older one), the approved one before it."""
    current_id = getattr(version, "current_id", None)
    approved = version.procedure.versions.filter(status=VersionStatus.APPROVED).select_related(
        "author"
    )
    if current_id and current_id != version.pk and version.status != VersionStatus.APPROVED:
        return approved.filter(pk=current_id).first()
    return (
        approved.filter(
            Q(major__lt=version.major) | Q(major=version.major, minor__lt=version.minor)
        )
        .order_by("-major", "-minor")
        .first()
    )


def compare(old: ProcedureVersion, new: ProcedureVersion, mode: str = "unified"):
    return diffing.diff(
        version_text(old),
        version_text(new),
        old_label=f"v{old.number}",
        new_label=f"v{new.number}",
        mode=mode,
    )


# "My work" on the home page: what this person has to do with procedures now.
WORK_LIMIT = 10


def to_acknowledge(user, now=None, limit: int | None = None) -> list[Procedure]:
    """The procedures in force that ``user`` has not acknowledged in their current
    major (the first ``limit`` of them when given), each with ``read_number``: the
    version they acknowledged before, if any (a re-ask after a major change, so the
    page can offer "what changed")."""
    last_read = Acknowledgement.objects.filter(procedure=OuterRef("pk"), user=user).order_by(
        "-major", "-acknowledged_at"
    )
    procedures = unacknowledged_by(user, now)
    if limit is not None:
        procedures = procedures[:limit]
    procedures = list(
        procedures.annotate(
            read_major=Subquery(last_read.values("version__major")[:1]),
            read_minor=Subquery(last_read.values("version__minor")[:1]),
        )
    )
    for procedure in procedures:
        procedure.read_number = (
            f"{procedure.read_major}.{procedure.read_minor}"
            if procedure.read_major is not None
            else ""
        )
    return procedures


def acknowledge_panel(request) -> dict | None:
    """The first procedures to read and how many there are: a person new to a large
    catalogue sees ten and a link to the whole list, not a thousand on the home page."""
    procedures = to_acknowledge(request.user, limit=WORK_LIMIT)
    if not procedures:
        return None
    total = unread_count(request)
    return {"procedures": procedures, "total": total, "more": total > len(procedures)}


def reviews_panel(request) -> dict | None:
    if not can(request.user, "version.review"):
        return None
    waiting = awaiting_review(request.user).with_relations().order_by("submitted_at", "id")
    versions = list(waiting[: WORK_LIMIT + 1])
    if not versions:
        return None
    return {
        "versions": versions[:WORK_LIMIT],
        "more": len(versions) > WORK_LIMIT,
    }


def own_drafts_panel(request) -> dict | None:
    """The person's versions still in the workflow: drafts, those sent back to them
    (with the reviewer's latest comment), and those waiting for review."""
    user = request.user
    if not user.is_authenticated:
        return None
    latest_comment = Review.objects.filter(version=OuterRef("pk")).exclude(comment="")
    latest_comment = latest_comment.order_by("-created_at")
    versions = list(
        ProcedureVersion.objects.open()
        .filter(author=user, procedure__withdrawn_at__isnull=True)
        .with_relations()
        .annotate(last_comment=Subquery(latest_comment.values("comment")[:1]))
        .order_by("-updated_at", "-id")[: WORK_LIMIT + 1]
    )
    if not versions:
        return None
    return {"versions": versions[:WORK_LIMIT], "more": len(versions) > WORK_LIMIT}


REVIEWERS_SHOWN = 5


def reviewers_for(procedure: Procedure, author) -> dict:
    """Who will be asked to review a version by ``author``: the approvers other
    than the author (four eyes), and how many signatures it needs."""
    people = list(
        users_with_role(PortalRole.APPROVER)
        .exclude(pk=getattr(author, "pk", None))
        .exclude(username=SYSTEM_USERNAME)
        .order_by("first_name", "username")[: REVIEWERS_SHOWN + 1]
    )
    return {
        "names": [p.get_full_name() or p.get_username() for p in people[:REVIEWERS_SHOWN]],
        "more": len(people) > REVIEWERS_SHOWN,
        "needed": procedure.required_approvals,
    }


def reading_of(user, procedure: Procedure, current: ProcedureVersion | None) -> dict:
    """What ``user`` has read of ``procedure``: ``ack``, their acknowledgement of the
    current major (its version may be older than ``current`` after a minor change),
    and, when they are asked again after a major change, ``read`` (the version they
    acknowledged before) with ``changes`` (its diff against ``current``). Two queries."""
    if current is None or not user.is_authenticated:
        return {"ack": None, "read": None, "changes": None}
    acks = list(
        procedure.acknowledgements.filter(user=user, major__lte=current.major)
        .select_related("version")
        .order_by("-major")[:1]
    )
    ack = acks[0] if acks else None
    if ack is not None and ack.major == current.major:
        return {"ack": ack, "read": None, "changes": None}
    read = ack.version if ack is not None else None
    return {"ack": None, "read": read, "changes": compare(read, current) if read else None}
