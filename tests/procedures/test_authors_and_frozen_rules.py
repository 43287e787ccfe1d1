"""Four-eyes cannot be walked around: whoever changed a version's text is one of its
authors and may not approve it, and the number of approvals a version needs is fixed
when it is submitted."""

from __future__ import annotations

import pytest

from portal.models import AuditEvent
from procedures import services
from procedures.models import ProcedureVersion
from tests.procedures.conftest import draft_of, make_procedure, submitted

pytestmark = pytest.mark.django_db


def _edit_over_api(client, version: ProcedureVersion, body: str):
    return client.patch(
        f"/api/v1/procedure-versions/{version.pk}/",
        {
            "revision": version.revision,
            "title": version.title,
            "body": body,
            "change_summary": "Rewritten",
            "change_kind": "major",
        },
        format="json",
    )


def test_an_admin_who_edited_a_colleagues_draft_cannot_approve_it(api_for, alice, bob, dave):
    version = draft_of(make_procedure(alice))
    edited = _edit_over_api(api_for(dave), version, "## Purpose\n\nMy own text.\n")
    assert edited.status_code == 200, edited.json()
    assert edited.json()["authors"] == ["alice", "dave"]
    version.refresh_from_db()
    submit = api_for(dave).post(
        f"/api/v1/procedure-versions/{version.pk}/submit/",
        {"revision": version.revision},
        format="json",
    )
    assert submit.status_code == 200
    sha = submit.json()["content_sha256"]

    own = api_for(dave).post(
        f"/api/v1/procedure-versions/{version.pk}/approve/", {"content_sha256": sha}, format="json"
    )
    assert own.status_code == 403
    assert own.json()["code"] == "permission_denied"
    changes = api_for(dave).post(
        f"/api/v1/procedure-versions/{version.pk}/request-changes/",
        {"comment": "mine"},
        format="json",
    )
    assert changes.status_code == 403
    version.refresh_from_db()
    assert version.status == "in_review"
    # Nor is it in dave's queue; bob, who wrote none of it, signs.
    queue = api_for(dave).get("/api/v1/procedure-versions/?awaiting_my_review=true").json()
    assert queue["count"] == 0
    signed = api_for(bob).post(
        f"/api/v1/procedure-versions/{version.pk}/approve/", {"content_sha256": sha}, format="json"
    )
    assert signed.status_code == 200
    assert signed.json()["status"] == "approved"


def test_a_save_that_changes_nothing_makes_nobody_an_author(alice, dave):
    version = draft_of(make_procedure(alice))
    services.version_update(
        actor=dave,
        version=version,
        revision=version.revision,
        **{f: getattr(version, f) for f in ProcedureVersion.CONTENT_FIELDS},
    )
    assert list(version.authors.values_list("username", flat=True)) == ["alice"]


def test_the_version_page_names_every_author_and_refuses_their_review(client_for, alice, dave):
    version = draft_of(make_procedure(alice))
    url = f"/procedures/{version.procedure.slug}/v{version.major}.{version.minor}/"
    edited = client_for(dave).post(
        url + "edit/",
        {
            "revision": version.revision,
            "title": version.title,
            "body": "## Purpose\n\nDave's words.\n",
            "change_summary": "",
            "change_kind": "major",
        },
    )
    assert edited.status_code == 302, edited.content[:500]
    version.refresh_from_db()
    services.version_submit(actor=alice, version=version)
    version.refresh_from_db()

    page = client_for(dave).get(url)
    assert page.status_code == 200
    authors = page.content.decode().split('id="version-authors">')[1].split("</dd>")[0]
    assert authors == "Alice, Dave"
    assert 'id="review"' not in page.content.decode()
    refused = client_for(dave).post(
        url + "review/",
        {"decision": "approve", "content_sha256": version.content_sha256, "meaning": "approved"},
    )
    assert refused.status_code == 403
    version.refresh_from_db()
    assert version.status == "in_review"


def test_the_author_cannot_lower_the_bar_of_her_version_in_review(api_for, alice, bob):
    version = submitted(alice, required_approvals=2)
    lowered = api_for(alice).patch(
        f"/api/v1/procedures/{version.procedure.slug}/", {"required_approvals": 1}, format="json"
    )
    assert lowered.status_code == 403
    version.procedure.refresh_from_db()
    assert version.procedure.required_approvals == 2

    services.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    assert version.status == "in_review"
    detail = api_for(alice).get(f"/api/v1/procedure-versions/{version.pk}/").json()
    assert detail["approvals_needed"] == 2


def test_an_approver_lowering_the_procedure_leaves_the_version_in_review_as_submitted(
    client_for, alice, bob, dave
):
    version = submitted(alice, required_approvals=2)
    services.procedure_update(actor=dave, procedure=version.procedure, required_approvals=1)
    version.procedure.refresh_from_db()
    assert version.procedure.required_approvals == 1
    services.version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
    version.refresh_from_db()
    assert version.status == "in_review"
    page = client_for(bob).get(
        f"/procedures/{version.procedure.slug}/v{version.major}.{version.minor}/"
    )
    assert "1 of 2 approvals" in page.content.decode()


def test_only_an_approver_who_may_review_raises_the_bar_of_a_version_in_review(alice, dave):
    version = submitted(alice, required_approvals=1)
    # alice raises her procedure's number: her version in review keeps its bar.
    services.procedure_update(actor=alice, procedure=version.procedure, required_approvals=2)
    version.refresh_from_db()
    assert version.approvals_needed == 1
    # dave may review it: his raise applies to it, audited.
    services.procedure_update(actor=dave, procedure=version.procedure, required_approvals=3)
    version.refresh_from_db()
    assert version.approvals_needed == 3
    event = AuditEvent.objects.get(verb="procedure.version_approvals_raise")
    assert event.actor == dave
    assert (event.before, event.after) == ({"required_approvals": 1}, {"required_approvals": 3})


def test_a_resubmission_never_lowers_the_bar(alice, bob, dave):
    version = submitted(alice, required_approvals=2)
    services.version_request_changes(actor=bob, version=version, comment="Say why.")
    services.procedure_update(actor=dave, procedure=version.procedure, required_approvals=1)
    version.refresh_from_db()
    services.version_submit(actor=alice, version=version)
    version.refresh_from_db()
    assert version.approvals_needed == 2
