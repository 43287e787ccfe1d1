"""Two approvers pressing "approve" at the same moment, on two real PostgreSQL
connections: exactly one publication, one signature, one audit event of it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from portal.errors import WorkflowError
from portal.models import AuditEvent
from procedures import services
from procedures.models import ProcedureVersion, Review
from tests.conftest import make_person
from tests.procedures.conftest import submitted


def _race(people, version_id, content_sha256):
    barrier = threading.Barrier(len(people))
    results: dict[str, object] = {}

    def approve(person):
        try:
            version = ProcedureVersion.objects.get(pk=version_id)
            barrier.wait(timeout=10)
            services.version_approve(actor=person, version=version, content_sha256=content_sha256)
            results[person.username] = "ok"
        except Exception as exc:
            results[person.username] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_once_publish_exactly_once():
    alice = make_person("alice", ["portal-editor"])
    bob = make_person("bob", ["portal-approver"])
    erin = make_person("erin", ["portal-approver"])
    version = submitted(alice)

    results = _race([bob, erin], version.pk, version.content_sha256)

    outcomes = sorted("ok" if r == "ok" else type(r).__name__ for r in results.values())
    assert outcomes == ["WorkflowError", "ok"], results
    loser = next(r for r in results.values() if r != "ok")
    assert isinstance(loser, WorkflowError)
    version.refresh_from_db()
    assert version.status == "approved"
    assert Review.objects.filter(version=version).count() == 1
    published = AuditEvent.objects.filter(
        verb="procedure.version_approve", after__published=True
    ).count()
    assert published == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_needed_two_at_once_both_sign_one_publication():
    alice = make_person("alice", ["portal-editor"])
    bob = make_person("bob", ["portal-approver"])
    erin = make_person("erin", ["portal-approver"])
    version = submitted(alice, required_approvals=2)

    results = _race([bob, erin], version.pk, version.content_sha256)

    assert list(results.values()) == ["ok", "ok"], results
    version.refresh_from_db()
    assert version.status == "approved"
    assert Review.objects.filter(version=version, decision="approve").count() == 2
    assert (
        AuditEvent.objects.filter(verb="procedure.version_approve", after__published=True).count()
        == 1
    )
