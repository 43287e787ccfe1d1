"""Writes to onboarding: tracks and their steps, enrolments, completing steps."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from knowledge.choices import StepKind, StepState
from knowledge.models import Enrolment, StepCompletion, Track, TrackStep
from knowledge.models.onboarding import STEP_FIELDS
from knowledge.selectors.onboarding import progress_for
from portal.audit import audit_record
from portal.errors import ConflictError, WorkflowError
from portal.policy import require


def _step_data(step: TrackStep) -> dict:
    data = {name: step.serializable_value(name) for name in STEP_FIELDS}
    data["depends_on"] = sorted(d.pk for d in step.depends_on.all()) if step.pk else []
    return data


@transaction.atomic
def track_create(*, actor, role, title: str, title_ru: str = "", description: str = "") -> Track:
    require(actor, "track.edit")
    track = Track(
        role=role, title=title.strip(), title_ru=title_ru.strip(), description=description
    )
    track.full_clean()
    track.save()
    audit_record(
        actor=actor,
        verb="onboarding.track_create",
        obj=track,
        after={"role": role.slug, "title": track.title},
    )
    return track


def _check_dependencies(step: TrackStep, depends_on: list[TrackStep]) -> None:
    for dep in depends_on:
        if dep.track_id != step.track_id:
            raise ValidationError(
                {"depends_on": _("A step can only depend on steps of its own track.")}
            )
        if dep.pk == step.pk:
            raise ValidationError({"depends_on": _("A step cannot depend on itself.")})
    # A cycle would leave every step in it blocked for ever.
    if step.pk:
        graph = {
            s.pk: {d.pk for d in s.depends_on.all()}
            for s in TrackStep.objects.filter(track_id=step.track_id).prefetch_related("depends_on")
        }
        graph[step.pk] = {d.pk for d in depends_on}
        stack, seen = list(graph[step.pk]), set()
        while stack:
            current = stack.pop()
            if current == step.pk:
                raise ValidationError({"depends_on": _("These dependencies would form a cycle.")})
            if current not in seen:
                seen.add(current)
                stack.extend(graph.get(current, ()))


@transaction.atomic
def track_step_create(
    *, actor, track: Track, depends_on: Iterable[TrackStep] = (), **fields
) -> TrackStep:
    require(actor, "track.edit", track)
    unknown = set(fields) - set(STEP_FIELDS)
    if unknown:
        raise TypeError(f"unknown step fields: {sorted(unknown)}")
    step = TrackStep(track=track, **fields)
    step.full_clean()
    deps = list(depends_on)
    _check_dependencies(step, deps)
    step.save()
    step.depends_on.set(deps)
    audit_record(actor=actor, verb="onboarding.step_create", obj=step, after=_step_data(step))
    return step


@transaction.atomic
def track_step_update(
    *, actor, step: TrackStep, depends_on: Iterable[TrackStep] | None = None, **fields
) -> TrackStep:
    require(actor, "track.edit", step.track)
    unknown = set(fields) - set(STEP_FIELDS)
    if unknown:
        raise TypeError(f"unknown step fields: {sorted(unknown)}")
    before = _step_data(step)
    for key, value in fields.items():
        setattr(step, key, value)
    step.full_clean()
    if depends_on is not None:
        deps = list(depends_on)
        _check_dependencies(step, deps)
        step.depends_on.set(deps)
    step.save()
    audit_record(
        actor=actor, verb="onboarding.step_update", obj=step, before=before, after=_step_data(step)
    )
    return step


@transaction.atomic
def track_step_delete(*, actor, step: TrackStep) -> None:
    require(actor, "track.edit", step.track)
    audit_record(actor=actor, verb="onboarding.step_delete", obj=step, before=_step_data(step))
    step.delete()


@transaction.atomic
def enrolment_create(
    *, actor, user, track: Track, start_date: datetime.date, buddy=None
) -> Enrolment:
    """Start a person's track: due dates count from ``start_date``."""
    require(actor, "enrolment.create")
    if buddy is not None and buddy.pk == user.pk:
        raise ValidationError({"buddy": _("A buddy is someone other than the new person.")})
    enrolment = Enrolment(
        user=user,
        track=track,
        start_date=start_date,
        buddy=buddy,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError as exc:
        raise ConflictError(
            _("%(person)s is already enrolled on “%(track)s”.")
            % {"person": user.get_username(), "track": track.display_title}
        ) from exc
    audit_record(
        actor=actor,
        verb="onboarding.enrol",
        obj=enrolment,
        after={
            "user": user.get_username(),
            "track": track.pk,
            "start_date": start_date,
            "buddy": buddy.get_username() if buddy else None,
        },
    )
    return enrolment


@transaction.atomic
def step_complete(*, actor, enrolment: Enrolment, step: TrackStep) -> StepCompletion:
    """The person marks a task or a reading done. Acknowledgements and access
    checks are not marked: they are done when the fact they check is true."""
    require(actor, "onboarding.complete_step", enrolment)
    if step.track_id != enrolment.track_id:
        raise ValidationError(_("This step is not on this person's track."))
    if step.kind == StepKind.SKILL_LEVEL:
        raise WorkflowError(
            _("The buddy confirms this step when the level is reached."), code="buddy_step"
        )
    if step.kind not in (StepKind.TASK, StepKind.READ_ADR):
        raise WorkflowError(
            _("This step completes by itself when its condition holds."), code="derived_step"
        )
    progress = progress_for(enrolment).for_step(step.pk)
    if progress.state == StepState.DONE:
        raise WorkflowError(_("This step is already done."), code="already_done")
    if progress.state == StepState.BLOCKED:
        raise WorkflowError(_("Finish the steps this one depends on first."), code="blocked")
    completion = StepCompletion.objects.create(enrolment=enrolment, step=step, completed_by=actor)
    audit_record(
        actor=actor,
        verb="onboarding.step_complete",
        obj=enrolment,
        after={"step": step.pk, "title": step.title},
    )
    return completion


@transaction.atomic
def step_confirm(*, actor, enrolment: Enrolment, step: TrackStep) -> StepCompletion:
    """The buddy confirms a "reach a skill level" step: the person works alone in it."""
    require(actor, "onboarding.confirm_step", enrolment)
    if step.track_id != enrolment.track_id or step.kind != StepKind.SKILL_LEVEL:
        raise ValidationError(_("This step is not a skill level on this person's track."))
    if StepCompletion.objects.filter(enrolment=enrolment, step=step).exists():
        raise WorkflowError(_("This step is already done."), code="already_done")
    completion = StepCompletion.objects.create(enrolment=enrolment, step=step, completed_by=actor)
    audit_record(
        actor=actor,
        verb="onboarding.step_confirm",
        obj=enrolment,
        after={"step": step.pk, "skill": step.skill, "title": step.title},
    )
    return completion


@transaction.atomic
def step_acknowledge(*, actor, enrolment: Enrolment, step: TrackStep):
    """Acknowledge the procedure of an onboarding step, through the procedures app's
    own service (which writes the acknowledgement and its audit event)."""
    from procedures.services import procedure_acknowledge

    require(actor, "onboarding.complete_step", enrolment)
    if step.track_id != enrolment.track_id or step.kind != StepKind.ACKNOWLEDGE:
        raise ValidationError(_("This step is not a procedure to acknowledge on this track."))
    progress = progress_for(enrolment).for_step(step.pk)
    if progress.state == StepState.BLOCKED:
        raise WorkflowError(_("Finish the steps this one depends on first."), code="blocked")
    acknowledgement, _created = procedure_acknowledge(actor=actor, procedure=step.procedure)
    return acknowledgement
