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


@pytest.fixture
def add_step(alice, track):
    """add_step(kind, title, **fields) → a step by alice, on the ML engineer track unless
    another ``track`` is given."""

    def make(kind=StepKind.TASK, title="Step", *, phase=Phase.FIRST_DAY, **fields):
        fields.setdefault("track", track)
        return track_step_create(actor=alice, phase=phase, kind=kind, title=title, **fields)

    return make


@pytest.fixture
def enrol_carol(alice, carol, track):
    """enrol_carol(**fields) → carol on the ML engineer track from START, enrolled by
    alice unless another ``actor`` is given."""

    def make(**fields):
        fields.setdefault("actor", alice)
        fields.setdefault("track", track)
        return enrolment_create(user=carol, start_date=START, **fields)

    return make


def _state(enrolment, step):
    return progress_for(enrolment).for_step(step.pk).state


def test_acknowledging_completes_the_step_on_every_track(
    alice, bob, carol, track, role_factory, publish, add_step, enrol_carol
):
    from procedures.services import procedure_acknowledge

    procedure = publish("dataset-versioning")
    other = track_create(
        actor=alice, role=role_factory("Data engineer"), title="Data engineer onboarding"
    )
    steps = [
        add_step(
            StepKind.ACKNOWLEDGE,
            "Read datasets",
            phase=Phase.FIRST_WEEK,
            procedure=procedure,
            track=t,
        )
        for t in (track, other)
    ]
    enrolments = [enrol_carol(actor=bob, track=t) for t in (track, other)]
    assert [_state(e, s) for e, s in zip(enrolments, steps, strict=True)] == [StepState.OPEN] * 2
    procedure_acknowledge(actor=carol, procedure=procedure)
    assert [_state(e, s) for e, s in zip(enrolments, steps, strict=True)] == [StepState.DONE] * 2


def test_a_new_major_version_reopens_the_step_and_a_minor_one_does_not(
    carol, publish, add_step, enrol_carol
):
    from procedures.services import procedure_acknowledge

    procedure = publish("model-file-versioning")
    step = add_step(StepKind.ACKNOWLEDGE, "Read", phase=Phase.FIRST_WEEK, procedure=procedure)
    enrolment = enrol_carol()
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


def test_a_procedure_without_a_version_in_force_cannot_be_acknowledged(
    alice, carol, add_step, enrol_carol
):
    from procedures.models import Category
    from procedures.services import procedure_create

    category, _ = Category.objects.get_or_create(
        slug="metric-logging", defaults={"name": "Metric logging"}
    )
    draft_only = procedure_create(
        actor=alice, title="Metric logging", slug="metric-logging", category=category, body="Draft"
    )
    step = add_step(StepKind.ACKNOWLEDGE, "Read", phase=Phase.FIRST_WEEK, procedure=draft_only)
    enrolment = enrol_carol()
    assert _state(enrolment, step) == StepState.UNAVAILABLE
    with pytest.raises(WorkflowError):
        step_acknowledge(actor=carol, enrolment=enrolment, step=step)


def test_only_the_person_completes_their_steps_and_dependencies_come_first(
    alice, bob, carol, add_step, enrol_carol
):
    first = add_step(title="Meet your buddy")
    second = add_step(title="Ship a change", phase=Phase.FIRST_WEEK, depends_on=[first])
    enrolment = enrol_carol(actor=bob, buddy=alice)
    assert _state(enrolment, second) == StepState.BLOCKED
    with pytest.raises(WorkflowError):
        step_complete(actor=carol, enrolment=enrolment, step=second)
    with pytest.raises(PermissionDenied):
        step_complete(actor=alice, enrolment=enrolment, step=first)
    step_complete(actor=carol, enrolment=enrolment, step=first)
    assert _state(enrolment, second) == StepState.OPEN
    with pytest.raises(WorkflowError):
        step_complete(actor=carol, enrolment=enrolment, step=first)


def test_an_access_check_is_done_when_the_person_is_in_the_group(carol, add_step, enrol_carol):
    step = add_step(StepKind.ACCESS_CHECK, "GPU access", access_group="/platform/gpu-users")
    enrolment = enrol_carol()
    assert _state(enrolment, step) == StepState.OPEN
    with pytest.raises(WorkflowError):
        step_complete(actor=carol, enrolment=enrolment, step=step)
    Group.objects.create(name="gpu-users").user_set.add(carol)
    assert _state(enrolment, step) == StepState.DONE


def test_due_dates_count_from_the_start_date(add_step, enrol_carol):
    day = add_step(title="a")
    month = add_step(title="b", phase=Phase.FIRST_MONTH)
    enrolment = enrol_carol()
    progress = progress_for(enrolment)
    assert progress.for_step(day.pk).due == START
    assert progress.for_step(month.pk).due == START + datetime.timedelta(days=30)
    assert [p.phase for p in progress.phases] == [Phase.FIRST_DAY, Phase.FIRST_MONTH]


def test_enrolling_twice_or_with_oneself_as_buddy_is_refused(alice, carol, track, enrol_carol):
    from django.core.exceptions import ValidationError

    enrol_carol()
    with pytest.raises(ConflictError):
        enrol_carol()
    with pytest.raises(ValidationError):
        enrolment_create(actor=alice, user=alice, track=track, start_date=START, buddy=alice)
    with pytest.raises(PermissionDenied):
        enrol_carol(actor=carol)


def test_step_dependencies_stay_on_the_track_and_never_form_a_cycle(alice, role_factory, add_step):
    from django.core.exceptions import ValidationError

    from knowledge.services import track_step_update

    a = add_step(title="a")
    b = add_step(title="b", depends_on=[a])
    with pytest.raises(ValidationError):
        track_step_update(actor=alice, step=a, depends_on=[b])
    other = track_create(actor=alice, role=role_factory(), title="Other")
    with pytest.raises(ValidationError):
        add_step(title="c", track=other, depends_on=[a])
    with pytest.raises(ValidationError):
        add_step(StepKind.ACKNOWLEDGE, "no procedure", track=other)


def test_my_onboarding_page_acknowledges_through_the_procedures_service(
    client_for, alice, carol, publish, add_step, enrol_carol
):
    from procedures.models import Acknowledgement

    procedure = publish("code-versioning")
    step = add_step(
        StepKind.ACKNOWLEDGE, "Read code versioning", phase=Phase.FIRST_WEEK, procedure=procedure
    )
    enrolment = enrol_carol()
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
