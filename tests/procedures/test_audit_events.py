"""Every service that changes state writes its audit event, with the acting user,
inside its own transaction."""

import pytest
from django.core.exceptions import PermissionDenied

from portal.models import AuditEvent
from procedures import services
from tests.procedures.conftest import draft_of, make_procedure

pytestmark = pytest.mark.django_db


def verbs():
    return list(AuditEvent.objects.order_by("id").values_list("verb", "actor__username"))


def test_every_workflow_service_is_audited(alice, bob, carol, dave):
    procedure = make_procedure(alice)
    assert verbs() == [("procedure.create", "alice"), ("procedure.version_create", "alice")]

    version = draft_of(procedure)
    steps = [
        (
            lambda: services.version_update(
                actor=alice,
                version=version,
                revision=version.revision,
                title="Dataset rules",
                body="Text\n",
                change_summary="",
                change_kind="major",
            ),
            ("procedure.version_update", "alice"),
        ),
        (
            lambda: services.version_submit(actor=alice, version=version),
            ("procedure.version_submit", "alice"),
        ),
        (
            lambda: services.version_request_changes(actor=bob, version=version, comment="more"),
            ("procedure.version_request_changes", "bob"),
        ),
        (
            lambda: services.version_submit(actor=alice, version=version),
            ("procedure.version_submit", "alice"),
        ),
        (
            lambda: services.version_approve(
                actor=bob,
                version=version,
                content_sha256=type(version).objects.get(pk=version.pk).content_sha256,
            ),
            ("procedure.version_approve", "bob"),
        ),
        (
            lambda: services.procedure_acknowledge(actor=carol, procedure=procedure),
            ("procedure.acknowledge", "carol"),
        ),
        (
            lambda: services.procedure_update(
                actor=alice, procedure=procedure, review_interval_days=90
            ),
            ("procedure.update", "alice"),
        ),
    ]
    for call, expected in steps:
        count = AuditEvent.objects.count()
        call()
        assert verbs()[count:] == [expected]

    second = services.version_create(actor=alice, procedure=procedure, body="v2\n")
    assert verbs()[-1] == ("procedure.version_create", "alice")
    services.version_submit(actor=alice, version=second)
    services.version_reject(actor=bob, version=second, comment="no")
    assert verbs()[-1] == ("procedure.version_reject", "bob")
    third = services.version_create(actor=alice, procedure=procedure, body="v3\n")
    services.version_withdraw(actor=alice, version=third)
    assert verbs()[-1] == ("procedure.version_withdraw", "alice")
    services.procedure_withdraw(actor=dave, procedure=procedure, reason="obsolete")
    assert verbs()[-1] == ("procedure.withdraw", "dave")


def test_approval_event_records_the_signature(alice, bob):
    procedure = make_procedure(alice)
    version = services.version_submit(actor=alice, version=draft_of(procedure))
    services.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    event = AuditEvent.objects.get(verb="procedure.version_approve")
    assert event.object_type == "procedures.procedureversion"
    assert event.after["content_sha256"] == version.content_sha256
    assert event.after["published"] is True
    assert event.before["status"] == "in_review" and event.after["status"] == "approved"


def test_a_refused_action_leaves_no_event(alice, carol):
    procedure = make_procedure(alice)
    count = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.version_submit(actor=carol, version=draft_of(procedure))
    assert AuditEvent.objects.count() == count


def test_import_is_audited_through_the_services_it_calls(alice, tmp_path):
    (tmp_path / "a.md").write_text(
        "---\nslug: imported\ntitle: Imported\ncategory: metric-logging\n---\nBody\n",
        encoding="utf-8",
    )
    services.procedures_import_directory(actor=alice, directory=tmp_path)
    assert verbs() == [("procedure.create", "alice"), ("procedure.version_create", "alice")]


# The services the test above drives, and the ones that change nothing themselves.
AUDITED = {
    "procedure_acknowledge",
    "procedure_create",
    "procedure_update",
    "procedure_withdraw",
    "version_approve",
    "version_create",
    "version_reject",
    "version_request_changes",
    "version_submit",
    "version_update",
    "version_withdraw",
}
AUDITED_THROUGH_OTHERS = {"procedure_import_document", "procedures_import_directory"}
NOT_WRITES = {"ImportOutcome", "approvals_of", "next_number", "system_user"}


def test_a_new_service_needs_its_audit_step_above():
    assert set(services.__all__) == AUDITED | AUDITED_THROUGH_OTHERS | NOT_WRITES
