"""Onboarding progress, derived from the facts: acknowledgements of the current
major version, group membership, and what the person marked done. Nothing to keep in
sync: a new major version of a procedure reopens its step by itself."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone

from knowledge.choices import Phase, StepKind, StepState
from knowledge.models import Enrolment, Track, TrackStep
from knowledge.selectors.people import groups_of_users, normalise_group
from portal.memo import per_request
from procedures.models import Acknowledgement, Procedure


@dataclass
class StepProgress:
    step: TrackStep
    state: str
    due: datetime.date
    overdue: bool
    completed_at: datetime.datetime | None = None
    current_major: int | None = None

    @property
    def done(self) -> bool:
        return self.state == StepState.DONE

    @property
    def state_label(self):
        return StepState(self.state).label


@dataclass
class PhaseProgress:
    phase: str
    label: str
    steps: list[StepProgress]


@dataclass
class EnrolmentProgress:
    enrolment: Enrolment
    steps: list[StepProgress] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> int:
        return sum(1 for s in self.steps if s.done)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    @property
    def overdue(self) -> int:
        return sum(1 for s in self.steps if s.overdue)

    @property
    def phases(self) -> list[PhaseProgress]:
        return [
            PhaseProgress(phase, label, [s for s in self.steps if s.step.phase == phase])
            for phase, label in Phase.choices
            if any(s.step.phase == phase for s in self.steps)
        ]

    def for_step(self, step_id: int) -> StepProgress | None:
        return next((s for s in self.steps if s.step.pk == step_id), None)


def ordered_steps(track: Track) -> list[TrackStep]:
    """A track's steps in the order a person meets them; needs ``track.steps`` prefetched."""
    return sorted(track.steps.all(), key=lambda s: (s.phase_index, s.order, s.pk))


def progress_of(enrolments: list[Enrolment], now=None) -> list[EnrolmentProgress]:
    """Progress of many enrolments in a fixed number of queries. The enrolments
    should come from ``Enrolment.objects.for_progress()``."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    procedure_ids = {
        step.procedure_id
        for e in enrolments
        for step in e.track.steps.all()
        if step.kind == StepKind.ACKNOWLEDGE
    }
    user_ids = {e.user_id for e in enrolments}
    current_major: dict[int, int | None] = {}
    acknowledged: set[tuple[int, int, int]] = set()
    if procedure_ids:
        current_major = {
            row["pk"]: (None if row["withdrawn_at"] else row["current_major"])
            for row in Procedure.objects.filter(pk__in=procedure_ids)
            .with_current(now)
            .values("pk", "current_major", "withdrawn_at")
        }
        acknowledged = set(
            Acknowledgement.objects.filter(
                user_id__in=user_ids, procedure_id__in=procedure_ids
            ).values_list("user_id", "procedure_id", "major")
        )
    needs_groups = any(
        step.kind == StepKind.ACCESS_CHECK for e in enrolments for step in e.track.steps.all()
    )
    groups = groups_of_users(user_ids) if needs_groups else defaultdict(set)

    result = []
    for enrolment in enrolments:
        completions = {c.step_id: c for c in enrolment.completions.all()}
        progress = EnrolmentProgress(enrolment)
        states: dict[int, StepProgress] = {}
        for step in ordered_steps(enrolment.track):
            completed_at = None
            major = None
            if step.kind == StepKind.ACKNOWLEDGE:
                major = current_major.get(step.procedure_id)
                if major is None:
                    state = StepState.UNAVAILABLE
                elif (enrolment.user_id, step.procedure_id, major) in acknowledged:
                    state = StepState.DONE
                else:
                    state = StepState.OPEN
            elif step.kind == StepKind.ACCESS_CHECK:
                has = normalise_group(step.access_group) in groups[enrolment.user_id]
                state = StepState.DONE if has else StepState.OPEN
            else:
                completion = completions.get(step.pk)
                state = StepState.DONE if completion else StepState.OPEN
                completed_at = completion.completed_at if completion else None
            due = step.due_date(enrolment.start_date)
            states[step.pk] = StepProgress(
                step=step,
                state=state,
                due=due,
                overdue=False,
                completed_at=completed_at,
                current_major=major,
            )
        for item in states.values():
            if item.state == StepState.OPEN and any(
                dep.pk in states and not states[dep.pk].done for dep in item.step.depends_on.all()
            ):
                item.state = StepState.BLOCKED
            item.overdue = not item.done and item.due < today
            progress.steps.append(item)
        result.append(progress)
    return result


def progress_for(enrolment: Enrolment, now=None) -> EnrolmentProgress:
    fresh = Enrolment.objects.for_progress().get(pk=enrolment.pk)
    return progress_of([fresh], now)[0]


def enrolments_of(user):
    return list(Enrolment.objects.for_progress().filter(user=user))


def my_progress(request) -> list[EnrolmentProgress]:
    """The signed-in person's tracks with their progress, read once per request: the
    home page's knowledge card and "My work" both show them."""
    user = request.user
    if not user.is_authenticated:
        return []
    return per_request(request, "knowledge:progress", lambda: progress_of(enrolments_of(user)))


def all_enrolments():
    return list(Enrolment.objects.for_progress().order_by("-start_date", "user__username"))


def tracks_with_step_counts():
    """The track list: it shows how many steps, so it need not load them."""
    return Track.objects.select_related("role").annotate(step_count=Count("steps"))


def tracks_for_editor():
    return Track.objects.select_related("role").prefetch_related(
        "steps__procedure", "steps__adr", "steps__depends_on"
    )


NEXT_STEPS = 3


def onboarding_panel(request) -> dict | None:
    """ "My work": each of the person's tracks with its progress and the next few
    steps they can do now (open ones first, then those waiting on another step)."""
    progress = my_progress(request)
    if not progress:
        return None
    tracks = []
    for p in progress:
        todo = [s for s in p.steps if s.state == StepState.OPEN]
        todo += [s for s in p.steps if s.state == StepState.BLOCKED]
        tracks.append({"progress": p, "next": todo[:NEXT_STEPS], "left": len(todo)})
    return {"tracks": tracks}


@dataclass
class ReadStep:
    enrolment: Enrolment
    step: TrackStep


def open_read_step(user, adr) -> ReadStep | None:
    """The first of ``user``'s onboarding steps that asks them to read ``adr`` and is
    not done yet (one query)."""
    if not getattr(user, "is_authenticated", False):
        return None
    step = (
        TrackStep.objects.filter(kind=StepKind.READ_ADR, adr=adr, track__enrolments__user=user)
        .exclude(completions__enrolment__user=user)
        .select_related("track")
        .order_by("pk")
        .first()
    )
    if step is None:
        return None
    enrolment = Enrolment.objects.filter(user=user, track_id=step.track_id).first()
    return ReadStep(enrolment, step) if enrolment else None


def successors_of(adr_ids) -> dict:
    """For superseded records: the record that supersedes each (one query)."""
    from knowledge.choices import LinkKind
    from knowledge.models import AdrLink

    links = AdrLink.objects.filter(target_id__in=list(adr_ids), kind=LinkKind.SUPERSEDES)
    return {link.target_id: link.source for link in links.select_related("source")}
