"""Onboarding progress follows the facts: acknowledging the current version of a
procedure completes its step on every track, a new major version reopens it."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from knowledge.choices import Phase, StepKind, StepState
from knowledge.selectors.onboarding import progress_for
from knowledge.services import (
    enrolment_create,
    step_acknowledge,
    step_complete,
    track_create,
    track_step_create,
)
from portal.errors import ConflictError, WorkflowError

START = datetime.date(2026, 11, 2)


@pytest.fixture
def track(alice, role_factory):
    return track_create(
        actor=alice,
        role=role_factory("ML engineer", group="ml-engineers"),
        title="ML engineer onboarding",
    )


def _state(enrolment, step):
    return progress_for(enrolment).for_step(step.pk).state


def test_acknowledging_completes_the_step_on_every_track(
    alice, bob, carol, track, role_factory, publish
):
    from procedures.services import procedure_acknowledge

    procedure = publish("dataset-versioning")
    other = track_create(
        actor=alice, role=role_factory("Data engineer"), title="Data engineer onboarding"
    )
    steps = [
        track_step_create(
            actor=alice,
            track=t,
            phase=Phase.FIRST_WEEK,
            kind=StepKind.ACKNOWLEDGE,
            title="Read datasets",
            procedure=procedure,
        )
        for t in (track, other)
    ]
    enrolments = [
        enrolment_create(actor=bob, user=carol, track=t, start_date=START) for t in (track, other)
    ]
    assert [_state(e, s) for e, s in zip(enrolments, steps, strict=True)] == [StepState.OPEN] * 2
    procedure_acknowledge(actor=carol, procedure=procedure)
    assert [_state(e, s) for e, s in zip(enrolments, steps, strict=True)] == [StepState.DONE] * 2


def test_a_new_major_version_reopens_the_step_and_a_minor_one_does_not(
    alice, bob, carol, track, publish
):
    from procedures.services import procedure_acknowledge

    procedure = publish("model-file-versioning")
    step = track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_WEEK,
        kind=StepKind.ACKNOWLEDGE,
        title="Read",
        procedure=procedure,
    )
    enrolment = enrolment_create(actor=alice, user=carol, track=track, start_date=START)
    procedure_acknowledge(actor=carol, procedure=procedure)
    assert _state(enrolment, step) == StepState.DONE

    publish(procedure, change_kind="minor")
    assert _state(enrolment, step) == StepState.DONE

    publish(procedure, change_kind="major")
    progress = progress_for(enrolment)
    assert progress.for_step(step.pk).state == StepState.OPEN
    assert progress.for_step(step.pk).current_major == 2

    step_acknowledge(actor=carol, enrolment=enrolment, step=step)
    assert _state(enrolment, step) == StepState.DONE


def test_a_procedure_without_a_version_in_force_cannot_be_acknowledged(alice, carol, track):
    from procedures.models import Category
    from procedures.services import procedure_create

    category, _ = Category.objects.get_or_create(
        slug="metric-logging", defaults={"name": "Metric logging"}
    )
    draft_only = procedure_create(
        actor=alice, title="Metric logging", slug="metric-logging", category=category, body="Draft"
    )
    step = track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_WEEK,
        kind=StepKind.ACKNOWLEDGE,
        title="Read",
        procedure=draft_only,
    )
    enrolment = enrolment_create(actor=alice, user=carol, track=track, start_date=START)
    assert _state(enrolment, step) == StepState.UNAVAILABLE
    with pytest.raises(WorkflowError):
        step_acknowledge(actor=carol, enrolment=enrolment, step=step)


def test_only_the_person_completes_their_steps_and_dependencies_come_first(
    alice, bob, carol, track
):
    first = track_step_create(
        actor=alice, track=track, phase=Phase.FIRST_DAY, kind=StepKind.TASK, title="Meet your buddy"
    )
    second = track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_WEEK,
        kind=StepKind.TASK,
        title="Ship a change",
        depends_on=[first],
    )
    enrolment = enrolment_create(actor=bob, user=carol, track=track, start_date=START, buddy=alice)
    assert _state(enrolment, second) == StepState.BLOCKED
    with pytest.raises(WorkflowError):
        step_complete(actor=carol, enrolment=enrolment, step=second)
    with pytest.raises(PermissionDenied):
        step_complete(actor=alice, enrolment=enrolment, step=first)
    step_complete(actor=carol, enrolment=enrolment, step=first)
    assert _state(enrolment, second) == StepState.OPEN
    with pytest.raises(WorkflowError):
        step_complete(actor=carol, enrolment=enrolment, step=first)


def test_an_access_check_is_done_when_the_person_is_in_the_group(alice, carol, track):
    step = track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_DAY,
        kind=StepKind.ACCESS_CHECK,
        title="GPU access",
        access_group="/platform/gpu-users",
    )
    enrolment = enrolment_create(actor=alice, user=carol, track=track, start_date=START)
    assert _state(enrolment, step) == StepState.OPEN
    with pytest.raises(WorkflowError):
        step_complete(actor=carol, enrolment=enrolment, step=step)
    Group.objects.create(name="gpu-users").user_set.add(carol)
    assert _state(enrolment, step) == StepState.DONE


def test_due_dates_count_from_the_start_date(alice, carol, track):
    day = track_step_create(
        actor=alice, track=track, phase=Phase.FIRST_DAY, kind=StepKind.TASK, title="a"
    )
    month = track_step_create(
        actor=alice, track=track, phase=Phase.FIRST_MONTH, kind=StepKind.TASK, title="b"
    )
    enrolment = enrolment_create(actor=alice, user=carol, track=track, start_date=START)
    progress = progress_for(enrolment)
    assert progress.for_step(day.pk).due == START
    assert progress.for_step(month.pk).due == START + datetime.timedelta(days=30)
    assert [p.phase for p in progress.phases] == [Phase.FIRST_DAY, Phase.FIRST_MONTH]


def test_enrolling_twice_or_with_oneself_as_buddy_is_refused(alice, carol, track):
    from django.core.exceptions import ValidationError

    enrolment_create(actor=alice, user=carol, track=track, start_date=START)
    with pytest.raises(ConflictError):
        enrolment_create(actor=alice, user=carol, track=track, start_date=START)
    with pytest.raises(ValidationError):
        enrolment_create(actor=alice, user=alice, track=track, start_date=START, buddy=alice)
    with pytest.raises(PermissionDenied):
        enrolment_create(actor=carol, user=carol, track=track, start_date=START)


def test_step_dependencies_stay_on_the_track_and_never_form_a_cycle(alice, track, role_factory):
    from django.core.exceptions import ValidationError

    from knowledge.services import track_step_update

    a = track_step_create(
        actor=alice, track=track, phase=Phase.FIRST_DAY, kind=StepKind.TASK, title="a"
    )
    b = track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_DAY,
        kind=StepKind.TASK,
        title="b",
        depends_on=[a],
    )
    with pytest.raises(ValidationError):
        track_step_update(actor=alice, step=a, depends_on=[b])
    other = track_create(actor=alice, role=role_factory(), title="Other")
    with pytest.raises(ValidationError):
        track_step_create(
            actor=alice,
            track=other,
            phase=Phase.FIRST_DAY,
            kind=StepKind.TASK,
            title="c",
            depends_on=[a],
        )
    with pytest.raises(ValidationError):
        track_step_create(
            actor=alice,
            track=other,
            phase=Phase.FIRST_DAY,
            kind=StepKind.ACKNOWLEDGE,
            title="no procedure",
        )


def test_my_onboarding_page_acknowledges_through_the_procedures_service(
    client_for, alice, carol, track, publish
):
    from procedures.models import Acknowledgement

    procedure = publish("code-versioning")
    step = track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_WEEK,
        kind=StepKind.ACKNOWLEDGE,
        title="Read code versioning",
        procedure=procedure,
    )
    enrolment = enrolment_create(actor=alice, user=carol, track=track, start_date=START)
    client = client_for(carol)
    page = client.get("/knowledge/onboarding/")
    assert 'data-state="open"' in page.content.decode()
    response = client.post(f"/knowledge/onboarding/{enrolment.pk}/steps/{step.pk}/acknowledge/")
    assert response.status_code == 302
    assert Acknowledgement.objects.filter(user=carol, procedure=procedure, major=1).exists()
    assert 'data-state="done"' in client.get("/knowledge/onboarding/").content.decode()
    # Somebody else cannot act on carol's track.
    assert (
        client_for(alice)
        .post(f"/knowledge/onboarding/{enrolment.pk}/steps/{step.pk}/acknowledge/")
        .status_code
        == 403
    )
