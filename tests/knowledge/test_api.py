"""The knowledge API: records, links, status actions, upload import, the matrix and
onboarding; bad input gets a 4xx and leaves the database as it was."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.models import Adr, AdrLink, Assignment, Enrolment
from tests.knowledge.conftest import FIXTURES


def test_an_editor_creates_and_edits_a_record(api_for, alice):
    api = api_for(alice)
    response = api.post(
        "/api/v1/adrs/",
        {"title": "Выбор хранилища", "elements": ["data"], "tags": ["storage"], "context": "Why."},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["code"] == "ADR-0001"
    assert response.data["slug"] == "vybor-khranilishcha"
    response = api.patch("/api/v1/adrs/1/", {"outcome": "MinIO.", "revision": 1}, format="json")
    assert response.status_code == 200
    assert response.data["revision"] == 2
    stale = api.patch("/api/v1/adrs/1/", {"outcome": "Lost.", "revision": 1}, format="json")
    assert stale.status_code == 409
    assert stale.data["code"] == "conflict"


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"title": ""},
        {"title": "x" * 201},
        {"title": "Ok", "elements": ["kitchen"]},
        {"title": "Ok", "context": "nul\x00byte"},
        {"title": "Ok", "date": "yesterday"},
        {"title": "Ok", "procedures": ["no-such-procedure"]},
    ],
)
def test_bad_records_are_refused(api_for, alice, payload):
    response = api_for(alice).post("/api/v1/adrs/", payload, format="json")
    assert response.status_code == 400, response.data
    assert not Adr.objects.exists()


def test_markdown_over_the_limit_is_refused(api_for, alice, settings):
    settings.MARKDOWN_MAX_BYTES = 50
    response = api_for(alice).post(
        "/api/v1/adrs/", {"title": "Big", "context": "x" * 51}, format="json"
    )
    assert response.status_code == 400
    assert "context" in response.data["errors"]


def test_status_actions_need_an_approver(api_for, alice, bob, carol, make_adr):
    make_adr("Proposed")
    assert api_for(carol).post("/api/v1/adrs/1/accept/").status_code == 403
    assert api_for(alice).post("/api/v1/adrs/1/accept/").status_code == 403
    response = api_for(bob).post("/api/v1/adrs/1/accept/", {"note": "ok"}, format="json")
    assert response.status_code == 200
    assert response.data["status"] == "accepted"
    assert api_for(bob).post("/api/v1/adrs/1/reject/").status_code == 409
    assert api_for(bob).post("/api/v1/adrs/1/deprecate/").status_code == 200


def test_supersede_through_the_api_and_the_links_endpoint(api_for, alice, bob, make_adr):
    make_adr("Old")
    make_adr("New")
    api_for(bob).post("/api/v1/adrs/1/accept/")
    response = api_for(bob).post("/api/v1/adrs/2/supersede/", {"old": 1}, format="json")
    assert response.status_code == 200
    assert Adr.objects.get(number=1).status == "superseded"
    assert [(link["label"], link["other"]["number"]) for link in response.data["links"]] == [
        ("Supersedes", 1)
    ]
    # An editor may add "amends", not "supersedes".
    make_adr("Third")
    ok = api_for(alice).post(
        "/api/v1/adr-links/", {"source": 3, "target": 2, "kind": "amends"}, format="json"
    )
    assert ok.status_code == 201, ok.data
    denied = api_for(alice).post(
        "/api/v1/adr-links/", {"source": 3, "target": 2, "kind": "supersedes"}, format="json"
    )
    assert denied.status_code == 403
    assert (
        api_for(alice)
        .post("/api/v1/adr-links/", {"source": 3, "target": 3, "kind": "amends"}, format="json")
        .status_code
        == 400
    )
    assert (
        api_for(alice)
        .post("/api/v1/adr-links/", {"source": 3, "target": 2, "kind": "amends"}, format="json")
        .status_code
        == 409
    )
    assert (
        api_for(alice)
        .post("/api/v1/adr-links/", {"source": 3, "target": 99, "kind": "amends"}, format="json")
        .status_code
        == 400
    )
    assert AdrLink.objects.count() == 2


def test_upload_import_reports_each_bad_file(api_for, alice):
    files = [
        SimpleUploadedFile(p.name, p.read_bytes(), content_type="text/markdown")
        for p in sorted((FIXTURES / "broken").glob("*.md"))
    ]
    response = api_for(alice).post("/api/v1/adrs/import/", {"files": files}, format="multipart")
    assert response.status_code == 200
    assert response.data["created"] == [1, 3]
    assert {(e["file"], e["line"]) for e in response.data["errors"]} == {
        ("0002-bad-front-matter.md", 4),
        ("0004-dangling-link.md", 9),
        ("0005-no-title.md", 1),
    }
    # Imported as the nearest status, and said so.
    assert [(w["file"], w["line"]) for w in response.data["warnings"]] == [
        ("0003-unknown-status.md", 7)
    ]


def test_upload_of_only_bad_files_or_nothing_is_a_400(api_for, alice, carol):
    bad = SimpleUploadedFile("notes.md", b"# Notes\n")
    response = api_for(alice).post("/api/v1/adrs/import/", {"files": [bad]}, format="multipart")
    assert response.status_code == 400
    assert response.data["errors"][0]["file"] == "notes.md"
    assert api_for(alice).post("/api/v1/adrs/import/", {}, format="multipart").status_code == 400
    assert (
        api_for(carol)
        .post("/api/v1/adrs/import/", {"files": [bad]}, format="multipart")
        .status_code
        == 403
    )


def test_export_in_both_templates(api_for, carol, make_adr):
    make_adr("Use MLflow")
    madr = api_for(carol).get("/api/v1/adrs/export/?template=madr")
    assert madr.data["0001-use-mlflow.md"].startswith("---\nstatus: proposed")
    nygard = api_for(carol).get("/api/v1/adrs/export/?template=nygard")
    assert nygard.data["0001-use-mlflow.md"].startswith("# 1. Use MLflow")
    assert api_for(carol).get("/api/v1/adrs/export/?template=docx").status_code == 400


def test_list_filters_and_bad_filters(api_for, carol, make_adr):
    make_adr("A", elements=["data"], tags=["gpu"])
    make_adr("B")
    api = api_for(carol)
    assert [a["number"] for a in api.get("/api/v1/adrs/?element=data").data["results"]] == [1]
    assert [a["number"] for a in api.get("/api/v1/adrs/?tag=gpu").data["results"]] == [1]
    assert api.get("/api/v1/adrs/?status=maybe").status_code == 400
    assert api.get("/api/v1/adrs/999/").status_code == 404


def test_the_matrix_api_enforces_one_accountable(api_for, alice, carol):
    api = api_for(alice)
    assert (
        api.post(
            "/api/v1/raci/roles/",
            {"name": "Team lead", "keycloak_group": "/ml/leads"},
            format="json",
        ).status_code
        == 201
    )
    assert (
        api.post("/api/v1/raci/roles/", {"name": "MLOps engineer"}, format="json").status_code
        == 201
    )
    response = api.post(
        "/api/v1/raci/activities/",
        {"name": "Deploy models", "element_codes": ["software"]},
        format="json",
    )
    assert response.status_code == 201, response.data
    assert response.data["elements"] == ["software"]
    cell = {"activity": "deploy-models", "role": "team-lead", "letter": "A"}
    assert api.post("/api/v1/raci/assignments/", cell, format="json").status_code == 200
    clash = api.post("/api/v1/raci/assignments/", {**cell, "role": "mlops-engineer"}, format="json")
    assert clash.status_code == 409
    assert "already Accountable" in clash.data["detail"]
    assert (
        api.post("/api/v1/raci/assignments/", {**cell, "letter": "X"}, format="json").status_code
        == 400
    )
    assert (
        api_for(carol)
        .post("/api/v1/raci/assignments/", {**cell, "letter": "R"}, format="json")
        .status_code
        == 403
    )
    assert (
        api.post("/api/v1/raci/assignments/", {**cell, "letter": ""}, format="json").status_code
        == 204
    )
    assert not Assignment.objects.exists()


def test_onboarding_api(api_for, alice, bob, carol, role_factory):
    role = role_factory("ML engineer")
    api = api_for(alice)
    track = api.post(
        "/api/v1/onboarding/tracks/", {"role": role.slug, "title": "ML onboarding"}, format="json"
    )
    assert track.status_code == 201, track.data
    step = api.post(
        f"/api/v1/onboarding/tracks/{track.data['id']}/steps/",
        {"phase": "first_day", "kind": "task", "title": "Meet your buddy"},
        format="json",
    )
    assert step.status_code == 201, step.data
    bad_step = api.post(
        f"/api/v1/onboarding/tracks/{track.data['id']}/steps/",
        {"phase": "first_day", "kind": "read_adr", "title": "Read nothing"},
        format="json",
    )
    assert bad_step.status_code == 400
    enrol = api_for(bob).post(
        "/api/v1/onboarding/enrolments/",
        {
            "user": "carol",
            "track": track.data["id"],
            "start_date": datetime.date(2026, 11, 2).isoformat(),
            "buddy": "alice",
        },
        format="json",
    )
    assert enrol.status_code == 201, enrol.data
    enrolment = enrol.data["id"]
    assert (
        api_for(carol)
        .post(
            "/api/v1/onboarding/enrolments/",
            {"user": "carol", "track": track.data["id"], "start_date": "2026-11-02"},
            format="json",
        )
        .status_code
        == 403
    )
    assert (
        api_for(alice)
        .post(
            f"/api/v1/onboarding/enrolments/{enrolment}/complete/",
            {"step": step.data["id"]},
            format="json",
        )
        .status_code
        == 403
    )
    done = api_for(carol).post(
        f"/api/v1/onboarding/enrolments/{enrolment}/complete/",
        {"step": step.data["id"]},
        format="json",
    )
    assert done.status_code == 200
    assert (done.data["done"], done.data["total"], done.data["percent"]) == (1, 1, 100)
    assert (
        api_for(carol)
        .get(f"/api/v1/onboarding/enrolments/{enrolment}/progress/")
        .data["steps"][0]["state"]
        == "done"
    )
    # carol sees only her own enrolments; a lead sees everyone's.
    assert len(api_for(carol).get("/api/v1/onboarding/enrolments/progress/").data) == 1
    assert api_for(bob).get("/api/v1/onboarding/enrolments/").data["count"] == 1
    assert Enrolment.objects.count() == 1
