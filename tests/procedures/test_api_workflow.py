"""The whole workflow through the REST API, and its schema."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from procedures.models import Procedure

pytestmark = pytest.mark.django_db


def test_draft_submit_approve_acknowledge_over_the_api(api_for, alice, bob, carol):
    created = api_for(alice).post(
        "/api/v1/procedures/",
        {
            "title": "GPU quotas",
            "slug": "gpu-quotas",
            "category": "infrastructure-usage",
            "elements": ["hardware", "procedures"],
            "body": "Ask before you take more than two GPUs.\n",
            "required_approvals": 1,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["open_version"] == "1.0"
    assert created.json()["open_status"] == "draft"
    versions = api_for(alice).get("/api/v1/procedure-versions/?procedure=gpu-quotas").json()
    assert versions["count"] == 1
    version = versions["results"][0]

    submitted = api_for(alice).post(
        f"/api/v1/procedure-versions/{version['id']}/submit/",
        {"revision": version["revision"]},
        format="json",
    )
    assert submitted.status_code == 200, submitted.json()
    sha = submitted.json()["content_sha256"]
    assert len(sha) == 64

    mine = api_for(bob).get("/api/v1/procedure-versions/?awaiting_my_review=true").json()
    assert [v["id"] for v in mine["results"]] == [version["id"]]
    own = api_for(alice).post(
        f"/api/v1/procedure-versions/{version['id']}/approve/",
        {"content_sha256": sha},
        format="json",
    )
    assert own.status_code == 403

    approved = api_for(bob).post(
        f"/api/v1/procedure-versions/{version['id']}/approve/",
        {"content_sha256": sha, "meaning": "approved", "comment": "Fine."},
        format="json",
    )
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == "approved"
    assert body["signatures"][0]["by"] == "bob"
    assert body["signatures"][0]["content_sha256"] == sha

    detail = api_for(carol).get("/api/v1/procedures/gpu-quotas/").json()
    assert detail["current_version"] == "1.0"
    assert detail["review_due_at"]

    ack = api_for(carol).post("/api/v1/procedures/gpu-quotas/acknowledge/", format="json")
    assert ack.status_code == 201
    again = api_for(carol).post("/api/v1/procedures/gpu-quotas/acknowledge/", format="json")
    assert again.status_code == 200
    acks = api_for(carol).get("/api/v1/procedure-acknowledgements/?procedure=gpu-quotas").json()
    assert [(a["user"], a["version_number"]) for a in acks["results"]] == [("carol", "1.0")]
    reviews = api_for(carol).get("/api/v1/procedure-reviews/?reviewer=bob").json()
    assert [r["decision"] for r in reviews["results"]] == ["approve"]


def test_request_changes_reject_and_withdraw_endpoints(api_for, alice, bob, dave):
    from tests.procedures.conftest import submitted

    version = submitted(alice)
    url = f"/api/v1/procedure-versions/{version.pk}/"
    r = api_for(bob).post(url + "request-changes/", {"comment": "Add an owner."}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "changes_requested"
    r = api_for(alice).patch(
        url, {"revision": r.json()["revision"], "body": "With owner.\n"}, format="json"
    )
    assert r.status_code == 200
    r = api_for(alice).post(url + "submit/", {}, format="json")
    assert r.json()["status"] == "in_review"
    r = api_for(bob).post(url + "reject/", {"comment": "Not needed."}, format="json")
    assert r.json()["status"] == "rejected"

    new = api_for(alice).post(
        "/api/v1/procedure-versions/",
        {"procedure": version.procedure.slug, "body": "Again\n", "change_kind": "major"},
        format="json",
    )
    assert new.status_code == 201 and new.json()["number"] == "2.0"
    r = api_for(alice).post(f"/api/v1/procedure-versions/{new.json()['id']}/withdraw/")
    assert r.json()["status"] == "withdrawn"

    assert (
        api_for(alice).post(f"/api/v1/procedures/{version.procedure.slug}/withdraw/").status_code
        == 403
    )
    r = api_for(dave).post(
        f"/api/v1/procedures/{version.procedure.slug}/withdraw/", {"reason": "gone"}, format="json"
    )
    assert r.status_code == 200 and r.json()["withdrawn_at"]


def test_filters_and_pagination(api_for, alice, carol):
    from tests.procedures.conftest import make_procedure

    for i in range(3):
        make_procedure(alice, slug=f"p{i}", title=f"P{i}")
    page = api_for(carol).get("/api/v1/procedures/?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert api_for(carol).get("/api/v1/procedures/?in_force=true").json()["count"] == 0
    assert (
        api_for(carol).get("/api/v1/procedures/?category=dataset-versioning").json()["count"] == 3
    )
    assert api_for(carol).get("/api/v1/procedures/?category=metric-logging").json()["count"] == 0
    assert api_for(carol).get("/api/v1/procedure-versions/?status=draft").json()["count"] == 3
    assert api_for(carol).get("/api/v1/procedures/?element=hardware").json()["count"] == 0
    assert api_for(carol).get("/api/v1/procedures/?element=nonsense").status_code == 400
    assert api_for(None).get("/api/v1/procedures/").status_code == 403
    assert Procedure.objects.count() == 3


def test_procedure_metadata_patch(api_for, alice):
    from tests.procedures.conftest import make_procedure

    make_procedure(alice, slug="meta")
    r = api_for(alice).patch(
        "/api/v1/procedures/meta/",
        {"required_approvals": 2, "elements": ["people"], "category": "metric-logging"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert (r.json()["required_approvals"], r.json()["elements"], r.json()["category"]) == (
        2,
        ["people"],
        "metric-logging",
    )


def test_openapi_schema_of_the_procedures_api_has_no_warnings(tmp_path):
    """`spectacular --validate --fail-on-warn` over the procedures endpoints only, so
    another app's schema cannot hide or cause a failure here."""
    out = tmp_path / "schema.yaml"
    call_command(
        "spectacular",
        "--urlconf",
        "tests.procedures.schema_urls",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(out),
    )
    text = out.read_text()
    for path in (
        "/api/v1/procedures/{slug}/acknowledge/",
        "/api/v1/procedures/{slug}/withdraw/",
        "/api/v1/procedure-versions/{id}/submit/",
        "/api/v1/procedure-versions/{id}/approve/",
        "/api/v1/procedure-versions/{id}/request-changes/",
        "/api/v1/procedure-versions/{id}/reject/",
        "/api/v1/procedure-versions/{id}/withdraw/",
        "/api/v1/procedure-reviews/",
        "/api/v1/procedure-acknowledgements/",
    ):
        assert path in text
    assert "ApproveRequest" in text and "'409':" in text
