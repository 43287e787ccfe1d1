"""Bad input of every kind, through the pages and the API: a clear 4xx and the
database exactly as it was."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from portal.models import AuditEvent
from procedures.models import Acknowledgement, Category, Procedure, ProcedureVersion, Review
from tests.procedures.conftest import approved, draft_of, make_procedure, submitted

pytestmark = pytest.mark.django_db

TOO_BIG = "x" * (settings.MARKDOWN_MAX_BYTES + 1)


def snapshot():
    return (
        list(Procedure.objects.order_by("pk").values()),
        list(ProcedureVersion.objects.order_by("pk").values()),
        list(Review.objects.order_by("pk").values()),
        list(Acknowledgement.objects.order_by("pk").values()),
        # Refusals are audited as denials by design; nothing else may be written.
        AuditEvent.objects.exclude(verb="permission.denied").count(),
    )


@pytest.fixture
def unchanged():
    """Assert the database did not move during the block."""

    class Guard:
        def __enter__(self):
            self.before = snapshot()

        def __exit__(self, *exc):
            if exc[0] is None:
                assert snapshot() == self.before

    return Guard


CREATE = {
    "title": "Metric names",
    "slug": "metric-names",
    "category": "metric-logging",
    "review_interval_days": 365,
    "required_approvals": 1,
    "change_summary": "",
    "body": "Use snake_case.\n",
}


@pytest.mark.parametrize(
    "change",
    [
        {"body": TOO_BIG},
        {"body": "bad\x00byte"},
        {"title": "nul\x00title"},
        {"slug": "Not a slug!"},
        {"slug": "new"},
        {"category": "no-such-category"},
        {"required_approvals": 0},
        {"review_interval_days": -5},
        {"title": ""},
    ],
    ids=lambda c: next(iter(c)) + ":" + repr(next(iter(c.values())))[:20],
)
def test_create_form_rejects(client_for, alice, unchanged, change):
    data = {**CREATE, **change}
    category = Category.objects.filter(slug=data["category"]).first()
    # The form's select posts primary keys.
    data["category"] = category.pk if category else 999_999
    with unchanged():
        response = client_for(alice).post("/procedures/new/", data)
    assert response.status_code == 400
    assert b"errorlist" in response.content


def test_create_form_duplicate_slug(client_for, alice, unchanged):
    make_procedure(alice, slug="metric-names")
    data = {**CREATE, "category": Category.objects.get(slug="metric-logging").pk}
    with unchanged():
        response = client_for(alice).post("/procedures/new/", data)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {**CREATE, "body": TOO_BIG},
        {**CREATE, "body": "bad\x00byte"},
        {**CREATE, "slug": "bad slug"},
        {**CREATE, "slug": "review-queue"},
        {**CREATE, "category": "unknown"},
        {**CREATE, "elements": ["spaceships"]},
        {**CREATE, "required_approvals": "many"},
        {k: v for k, v in CREATE.items() if k != "title"},
    ],
    ids=[
        "too-big",
        "nul",
        "slug",
        "reserved-slug",
        "category",
        "element",
        "approvals",
        "no-title",
    ],
)
def test_api_create_rejects(api_for, alice, unchanged, payload):
    with unchanged():
        response = api_for(alice).post("/api/v1/procedures/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


def test_api_malformed_json(api_for, alice, unchanged):
    with unchanged():
        response = api_for(alice).post(
            "/api/v1/procedures/", data="{not json", content_type="application/json"
        )
    assert response.status_code == 400


def test_api_payload_over_the_upload_limit(api_for, alice, unchanged):
    huge = json.dumps({**CREATE, "body": "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    with unchanged():
        response = api_for(alice).post(
            "/api/v1/procedures/", data=huge, content_type="application/json"
        )
    assert response.status_code in (400, 413)


def test_unknown_slugs_are_404(client_for, api_for, carol, alice):
    assert client_for(carol).get("/procedures/no-such/").status_code == 404
    assert client_for(carol).get("/procedures/no-such/v1.0/").status_code == 404
    assert api_for(carol).get("/api/v1/procedures/no-such/").status_code == 404
    response = api_for(alice).post(
        "/api/v1/procedure-versions/", {"procedure": "no-such", "body": "x"}, format="json"
    )
    assert response.status_code == 400


def test_double_approval_is_409(api_for, alice, bob, dave, unchanged):
    version = submitted(alice, required_approvals=2)
    url = f"/api/v1/procedure-versions/{version.pk}/approve/"
    first = api_for(bob).post(url, {"content_sha256": version.content_sha256}, format="json")
    assert first.status_code == 200
    with unchanged():
        again = api_for(bob).post(url, {"content_sha256": version.content_sha256}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_signed"


def test_approving_an_already_approved_version_is_409(api_for, alice, bob, dave, unchanged):
    version = approved(alice, bob)
    with unchanged():
        response = api_for(dave).post(
            f"/api/v1/procedure-versions/{version.pk}/approve/",
            {"content_sha256": version.content_sha256},
            format="json",
        )
    assert response.status_code == 409


def test_approving_a_changed_version_is_409(api_for, alice, bob, unchanged):
    version = submitted(alice)
    with unchanged():
        response = api_for(bob).post(
            f"/api/v1/procedure-versions/{version.pk}/approve/",
            {"content_sha256": "0" * 64},
            format="json",
        )
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_approving_a_changed_version_through_the_page_is_409(client_for, alice, bob, unchanged):
    version = submitted(alice)
    with unchanged():
        response = client_for(bob).post(
            f"/procedures/{version.procedure.slug}/v1.0/review/",
            {"decision": "approve", "meaning": "approved", "content_sha256": "a" * 64},
        )
    assert response.status_code == 409


def test_malformed_hash_is_400(client_for, api_for, alice, bob, unchanged):
    version = submitted(alice)
    with unchanged():
        page = client_for(bob).post(
            f"/procedures/{version.procedure.slug}/v1.0/review/",
            {"decision": "approve", "content_sha256": "not-a-hash"},
        )
        api = api_for(bob).post(
            f"/api/v1/procedure-versions/{version.pk}/approve/",
            {"content_sha256": "zz"},
            format="json",
        )
    assert page.status_code == 400
    assert api.status_code == 400


def test_editing_a_frozen_version_is_409(client_for, api_for, alice, unchanged):
    version = submitted(alice)
    form = {
        "title": "Changed",
        "body": "changed\n",
        "change_kind": "major",
        "change_summary": "",
        "revision": version.revision,
    }
    with unchanged():
        page = client_for(alice).post(f"/procedures/{version.procedure.slug}/v1.0/edit/", form)
        api = api_for(alice).patch(
            f"/api/v1/procedure-versions/{version.pk}/",
            {"revision": version.revision, "body": "changed\n"},
            format="json",
        )
    assert page.status_code == 409
    assert api.status_code == 409
    assert api.json()["code"] == "frozen"


def test_edit_form_rejects_nul_and_oversize(client_for, alice, unchanged):
    version = draft_of(make_procedure(alice))
    url = f"/procedures/{version.procedure.slug}/v1.0/edit/"
    base = {
        "title": version.title,
        "change_kind": "major",
        "change_summary": "",
        "revision": version.revision,
    }
    for body in ("a\x00b", TOO_BIG):
        with unchanged():
            response = client_for(alice).post(url, {**base, "body": body})
        assert response.status_code == 400


def test_api_edit_rejects_nul_and_oversize(api_for, alice, unchanged):
    version = draft_of(make_procedure(alice))
    for body in ("a\x00b", TOO_BIG):
        with unchanged():
            response = api_for(alice).patch(
                f"/api/v1/procedure-versions/{version.pk}/",
                {"revision": version.revision, "body": body},
                format="json",
            )
        assert response.status_code == 400


def test_request_changes_needs_a_comment(api_for, alice, bob, unchanged):
    version = submitted(alice)
    with unchanged():
        response = api_for(bob).post(
            f"/api/v1/procedure-versions/{version.pk}/request-changes/",
            {"comment": "   "},
            format="json",
        )
    assert response.status_code == 400


def test_viewer_cannot_write_through_the_api(api_for, carol, alice, unchanged):
    version = draft_of(make_procedure(alice))
    with unchanged():
        assert api_for(carol).post("/api/v1/procedures/", CREATE, format="json").status_code == 403
        assert (
            api_for(carol)
            .post(f"/api/v1/procedure-versions/{version.pk}/submit/", {}, format="json")
            .status_code
            == 403
        )


def test_preview_rejects_nul_and_oversize(client_for, alice):
    assert client_for(alice).post("/procedures/preview/", {"body": "a\x00"}).status_code == 400
    assert client_for(alice).post("/procedures/preview/", {"body": TOO_BIG}).status_code == 400


def test_diff_with_a_malformed_or_unknown_number(client_for, alice, bob, carol):
    from procedures import services

    version = approved(alice, bob)
    services.version_create(actor=alice, procedure=version.procedure, body="Second\n")
    url = f"/procedures/{version.procedure.slug}/diff/"
    assert client_for(carol).get(url + "?from=abc&to=1.0").status_code == 400
    assert client_for(carol).get(url + "?from=9.9&to=1.0").status_code == 404
    assert client_for(carol).get(url + "?from=1.0&to=2.0").status_code == 200


def test_list_with_an_unknown_filter_value_is_400(client_for, carol):
    for query in ("?category=astrology", "?status=sleeping", "?element=spaceships"):
        response = client_for(carol).get("/procedures/" + query)
        assert response.status_code == 400, query
        assert b"errorlist" in response.content
    assert client_for(carol).get("/procedures/?category=metric-logging").status_code == 200


@pytest.mark.parametrize("field", ["title", "change_summary"])
def test_the_service_blames_the_field_holding_a_nul_byte(alice, unchanged, field):
    from django.core.exceptions import ValidationError

    from procedures import services

    version = draft_of(make_procedure(alice))
    content = {"title": "Dataset rules", "change_summary": "", field: "nul\x00here"}
    with unchanged(), pytest.raises(ValidationError) as refused:
        services.version_update(
            actor=alice,
            version=version,
            revision=version.revision,
            body="Text\n",
            change_kind="major",
            **content,
        )
    assert set(refused.value.message_dict) == {field}
