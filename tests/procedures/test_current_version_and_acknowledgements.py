"""Which version is in force comes from dates, not a clock job; acknowledgements are
per major version; approval sets the review due date."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.errors import WorkflowError
from procedures import selectors, services
from procedures.models import Acknowledgement, Procedure
from tests.procedures.conftest import approved, draft_of, make_procedure

pytestmark = pytest.mark.django_db


def publish_next(procedure, alice, bob, *, kind, body, effective_from=None):
    version = services.version_create(
        actor=alice,
        procedure=procedure,
        body=body,
        change_kind=kind,
        effective_from=effective_from,
    )
    version = services.version_submit(actor=alice, version=version)
    services.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    return version


def test_current_is_latest_approved_already_effective(alice, bob):
    v1 = approved(alice, bob)
    procedure = v1.procedure
    future = timezone.now() + timedelta(days=10)
    v2 = publish_next(
        procedure, alice, bob, kind="major", body="Next year\n", effective_from=future
    )
    assert (v2.major, v2.minor) == (2, 0)
    assert selectors.current_version_of(procedure) == v1
    annotated = Procedure.objects.with_current().get(pk=procedure.pk)
    assert annotated.current_version_id == v1.pk
    # Time passes: no job runs, the reading changes.
    assert selectors.current_version_of(procedure, now=future + timedelta(seconds=1)) == v2
    later = Procedure.objects.with_current(future + timedelta(seconds=1)).get(pk=procedure.pk)
    assert later.current_version_id == v2.pk


def test_phases_current_superseded_scheduled(alice, bob):
    v1 = approved(alice, bob)
    procedure = v1.procedure
    v2 = publish_next(procedure, alice, bob, kind="minor", body="Editorial\n")
    v3 = publish_next(
        procedure,
        alice,
        bob,
        kind="major",
        body="Later\n",
        effective_from=timezone.now() + timedelta(days=3),
    )
    page = selectors.procedure_for_page(procedure.slug)
    phases = {v.number: v.phase() for v in selectors.history_of(page)}
    assert phases == {"1.0": "superseded", "1.1": "current", "2.0": "scheduled"}
    assert (v2.number, v3.number) == ("1.1", "2.0")


def test_minor_version_keeps_acknowledgements_major_needs_new_ones(alice, bob, carol):
    v1 = approved(alice, bob)
    procedure = v1.procedure
    services.procedure_acknowledge(actor=carol, procedure=procedure)
    publish_next(procedure, alice, bob, kind="minor", body="Typo fixed\n")
    assert selectors.has_acknowledged(carol, procedure, selectors.current_version_of(procedure))
    assert not selectors.unacknowledged_by(carol).exists()

    publish_next(procedure, alice, bob, kind="major", body="New rules\n")
    current = selectors.current_version_of(procedure)
    assert current.number == "2.0"
    assert not selectors.has_acknowledged(carol, procedure, current)
    assert list(selectors.unacknowledged_by(carol)) == [procedure]
    ack, created = services.procedure_acknowledge(actor=carol, procedure=procedure)
    assert created and ack.major == 2 and ack.version == current


def test_acknowledging_twice_changes_nothing(alice, bob, carol):
    procedure = approved(alice, bob).procedure
    services.procedure_acknowledge(actor=carol, procedure=procedure)
    _ack, created = services.procedure_acknowledge(actor=carol, procedure=procedure)
    assert not created
    assert Acknowledgement.objects.count() == 1


def test_nothing_to_acknowledge_without_a_current_version(alice, carol):
    procedure = make_procedure(alice)
    with pytest.raises(WorkflowError):
        services.procedure_acknowledge(actor=carol, procedure=procedure)


def test_acknowledgement_status_lists_who_has_and_who_has_not(alice, bob, carol, dave):
    procedure = approved(alice, bob).procedure
    services.procedure_acknowledge(actor=carol, procedure=procedure)
    status = selectors.acknowledgement_status(procedure, selectors.current_version_of(procedure))
    assert [a.user.username for a in status.acknowledged] == ["carol"]
    assert [u.username for u in status.pending] == ["alice", "bob", "dave"]


def test_approval_sets_review_due_and_overdue_list(alice, bob):
    v1 = approved(alice, bob, review_interval_days=30)
    procedure = Procedure.objects.get(pk=v1.procedure_id)
    assert procedure.review_due_at == v1.effective_from + timedelta(days=30)
    assert not selectors.overdue_procedures().exists()
    later = timezone.now() + timedelta(days=31)
    assert list(selectors.overdue_procedures(later)) == [procedure]


def test_review_queue_excludes_own_and_signed(alice, bob, dave):
    procedure = make_procedure(alice, required_approvals=2)
    version = services.version_submit(actor=alice, version=draft_of(procedure))
    assert list(selectors.review_queue(bob)) == [version]
    assert list(selectors.review_queue(alice)) == []
    services.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    assert list(selectors.review_queue(bob)) == []
    assert [v.signatures for v in selectors.review_queue(dave)] == [1]
