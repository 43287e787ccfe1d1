"""The version state machine, table-driven: every action from every status, allowed
or refused, through the services. A refused action leaves the row as it was."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from portal.errors import WorkflowError
from procedures import services, workflow
from procedures.choices import VersionStatus
from procedures.content import version_sha256
from procedures.models import ProcedureVersion
from tests.procedures.conftest import make_procedure

pytestmark = pytest.mark.django_db

S = VersionStatus
ALL_STATUSES = [s.value for s in VersionStatus]
ACTIONS = ["edit", "submit", "approve", "request_changes", "reject", "withdraw"]

EXPECTED = {
    ("edit", S.DRAFT): S.DRAFT,
    ("edit", S.CHANGES_REQUESTED): S.CHANGES_REQUESTED,
    ("submit", S.DRAFT): S.IN_REVIEW,
    ("submit", S.CHANGES_REQUESTED): S.IN_REVIEW,
    ("approve", S.IN_REVIEW): S.APPROVED,
    ("request_changes", S.IN_REVIEW): S.CHANGES_REQUESTED,
    ("reject", S.IN_REVIEW): S.REJECTED,
    ("withdraw", S.DRAFT): S.WITHDRAWN,
    ("withdraw", S.IN_REVIEW): S.WITHDRAWN,
    ("withdraw", S.CHANGES_REQUESTED): S.WITHDRAWN,
}


def version_in(status: str, author) -> ProcedureVersion:
    """A version put straight into ``status`` (the services are tested below)."""
    procedure = make_procedure(author, slug=f"p-{status.replace('_', '-')}")
    version = procedure.versions.get()
    version.status = status
    if status != S.DRAFT:
        version.content_sha256 = version_sha256(version)
    version.save()
    return version


def run(action: str, version: ProcedureVersion, alice, bob):
    if action == "edit":
        return services.version_update(
            actor=alice,
            version=version,
            revision=version.revision,
            title=version.title,
            body=version.body + "\nMore.\n",
            change_summary="edit",
            change_kind=version.change_kind,
        )
    if action == "submit":
        return services.version_submit(actor=alice, version=version)
    if action == "approve":
        return services.version_approve(
            actor=bob, version=version, content_sha256=version.content_sha256
        )
    if action == "request_changes":
        return services.version_request_changes(actor=bob, version=version, comment="Fix it")
    if action == "reject":
        return services.version_reject(actor=bob, version=version, comment="No")
    if action == "withdraw":
        return services.version_withdraw(actor=alice, version=version)
    raise AssertionError(action)


def test_the_table_names_exactly_the_expected_transitions():
    allowed = {(a, s) for a in ACTIONS for s in ALL_STATUSES if workflow.allowed(a, s)}
    assert allowed == set(EXPECTED)


@pytest.mark.parametrize(
    ("action", "status"),
    [(a, s) for a in ACTIONS for s in ALL_STATUSES if (a, s) in EXPECTED],
)
def test_allowed_transition(action, status, alice, bob):
    version = version_in(status, alice)
    run(action, version, alice, bob)
    version.refresh_from_db()
    assert version.status == EXPECTED[(action, status)]
    if version.status != S.DRAFT:
        assert version.content_sha256


@pytest.mark.parametrize(
    ("action", "status"),
    [(a, s) for a in ACTIONS for s in ALL_STATUSES if (a, s) not in EXPECTED],
)
def test_forbidden_transition_changes_nothing(action, status, alice, bob):
    version = version_in(status, alice)
    before = ProcedureVersion.objects.filter(pk=version.pk).values().get()
    reviews = version.reviews.count()
    with pytest.raises(WorkflowError):
        run(action, version, alice, bob)
    assert ProcedureVersion.objects.filter(pk=version.pk).values().get() == before
    assert version.reviews.count() == reviews


def test_full_round_with_changes_requested_then_approved(alice, bob):
    procedure = make_procedure(alice)
    version = services.version_submit(actor=alice, version=procedure.versions.get())
    first_hash = version.content_sha256
    services.version_request_changes(actor=bob, version=version, comment="Name the owner.")
    version.refresh_from_db()
    assert version.status == S.CHANGES_REQUESTED
    version = services.version_update(
        actor=alice,
        version=version,
        revision=version.revision,
        title=version.title,
        body=version.body + "\nOwner: the data team.\n",
        change_summary="owner named",
        change_kind=version.change_kind,
    )
    version = services.version_submit(actor=alice, version=version)
    assert version.content_sha256 != first_hash
    services.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    assert version.status == S.APPROVED
    assert version.effective_from is not None


def test_withdrawn_procedure_refuses_every_action(alice, bob, dave):
    procedure = make_procedure(alice)
    version = procedure.versions.get()
    services.procedure_withdraw(actor=dave, procedure=procedure, reason="replaced")
    version.refresh_from_db()
    assert version.status == S.WITHDRAWN
    with pytest.raises(WorkflowError):
        services.version_create(actor=alice, procedure=procedure, body="x")
    with pytest.raises(WorkflowError):
        services.procedure_withdraw(actor=dave, procedure=procedure)


def test_only_approvers_or_admins_withdraw_a_procedure(alice, carol, bob):
    procedure = make_procedure(alice)
    for person in (alice, carol):
        with pytest.raises(PermissionDenied):
            services.procedure_withdraw(actor=person, procedure=procedure)
    services.procedure_withdraw(actor=bob, procedure=procedure)


def test_a_second_open_version_is_refused(alice):
    procedure = make_procedure(alice)
    with pytest.raises(WorkflowError):
        services.version_create(actor=alice, procedure=procedure, body="another")
    assert procedure.versions.count() == 1
