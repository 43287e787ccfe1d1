"""Fields that name a decision record or a procedure take what a person types
("42", "ADR-0042", a slug), suggested by a lookup as they type, instead of a
dropdown of every record: the forms cost the same however many records there are."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge.models import Adr, AdrLink, AdrSupersedeProposal, TrackStep
from knowledge.services import adr_accept, track_create
from procedures.models import Category, Procedure

pytestmark = pytest.mark.django_db


def _records(start: int, count: int) -> None:
    Adr.objects.bulk_create(
        Adr(
            number=n,
            title=f"Decision {n}",
            slug=f"decision-{n}",
            date=datetime.date(2024, 1, 1),
            context="Long context. " * 200,
        )
        for n in range(start, start + count)
    )
    category, _ = Category.objects.get_or_create(slug="infra", defaults={"name": "Infra"})
    owner, _ = get_user_model().objects.get_or_create(username="owner")
    Procedure.objects.bulk_create(
        Procedure(title=f"Procedure {n}", slug=f"procedure-{n}", category=category, owner=owner)
        for n in range(start, start + count)
    )


def _get(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), len(response.content)


def _lookup(client, url, q):
    response = client.get(url, {"q": q})
    assert response.status_code == 200
    return response.json()["results"]


def test_the_record_page_and_the_editors_do_not_grow_with_the_log(
    client_for, alice, role_factory, make_adr
):
    adr = make_adr("Use Kueue for GPU quotas")
    track = track_create(actor=alice, role=role_factory("ML"), title="ML onboarding")
    client = client_for(alice)
    urls = [
        adr.get_absolute_url(),
        f"/knowledge/adr/{adr.number}/edit/",
        "/knowledge/adr/new/",
        f"/knowledge/tracks/{track.pk}/",
    ]
    _records(10, 10)
    small = {url: _get(client, url) for url in urls}
    _records(100, 190)
    large = {url: _get(client, url) for url in urls}
    for url in urls:
        assert large[url][0] == small[url][0], url
        # The same page, give or take a digit in the CSRF token's neighbourhood.
        assert abs(large[url][1] - small[url][1]) < 50, url


def test_the_lookup_finds_by_number_code_or_title_and_the_exact_number_first(
    client_for, carol, make_adr
):
    _records(1, 30)
    kueue = make_adr("Use Kueue for GPU quotas")
    client = client_for(carol)
    results = _lookup(client, "/knowledge/adr/lookup/", "kueue")
    assert results == [
        {
            "key": kueue.code,
            "number": kueue.number,
            "title": "Use Kueue for GPU quotas",
            "status": "proposed",
            "status_label": "Proposed",
        }
    ]
    assert [r["key"] for r in _lookup(client, "/knowledge/adr/lookup/", "ADR-0002")] == ["ADR-0002"]
    # "2" is record 2 and also in the titles "Decision 12", "Decision 20"…: 2 comes first.
    by_two = _lookup(client, "/knowledge/adr/lookup/", "2")
    assert by_two[0]["key"] == "ADR-0002" and len(by_two) == 12
    assert len(_lookup(client, "/knowledge/adr/lookup/", "Decision")) == 20
    assert _lookup(client, "/knowledge/adr/lookup/", "no such words") == []


def test_the_procedure_lookup_finds_by_slug_or_title(client_for, carol):
    _records(1, 3)
    results = _lookup(client_for(carol), "/procedures/lookup.json", "procedure-2")
    assert results == [{"key": "procedure-2", "title": "Procedure 2"}]


@pytest.mark.parametrize("url", ["/knowledge/adr/lookup/", "/procedures/lookup.json"])
def test_the_lookups_refuse_what_no_record_can_match(client, client_for, carol, url):
    assert client_for(carol).get(url, {"q": "x" * 101}).status_code == 400
    assert client_for(carol).get(url, {"q": "a\x00b"}).status_code == 400
    assert client.get(url, {"q": "a"}).status_code == 302  # to the sign-in page


@pytest.mark.parametrize("q", ["x" * 101, "a\x00b"])
def test_a_lookup_asked_for_json_is_refused_in_the_api_error_shape(client_for, carol, q):
    # What static/js/lookup.js sends; a NUL is refused by the input layer before the view.
    response = client_for(carol).get(
        "/knowledge/adr/lookup/", {"q": q}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body) == {"detail", "code", "errors"}


def test_a_page_asked_for_by_a_browser_still_gets_the_styled_error(client_for, carol):
    response = client_for(carol).get(
        "/knowledge/adr/", {"q": "a\x00b"}, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8"
    )
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_a_link_names_its_target_as_typed_and_an_unknown_or_own_number_is_refused(
    client_for, alice, make_adr
):
    source, target = make_adr("Use MLflow"), make_adr("Use Kueue")
    client = client_for(alice)
    url = f"/knowledge/adr/{source.number}/links/"
    for typed in ("ADR-0999", "next one", source.code):
        response = client.post(url, {"kind": "amends", "target": typed}, follow=True)
        assert not AdrLink.objects.exists(), typed
        assert _messages(response), typed
    assert "cannot link to itself" in " ".join(_messages(response))
    client.post(url, {"kind": "amends", "target": f"adr-{target.number:04d}"})
    assert AdrLink.objects.get().target == target


def test_bob_supersedes_a_record_named_by_its_number(client_for, bob, make_adr):
    old, new = make_adr("Use DVC"), make_adr("Use lakeFS")
    adr_accept(actor=bob, adr=old)
    adr_accept(actor=bob, adr=new)
    client = client_for(bob)
    url = f"/knowledge/adr/{new.number}/supersede/"
    response = client.post(url, {"old": new.code}, follow=True)
    assert "cannot supersede itself" in " ".join(_messages(response))
    client.post(url, {"old": str(old.number)})
    old.refresh_from_db()
    assert old.status == "superseded"


def test_a_new_record_names_what_it_supersedes_and_its_procedures_as_typed(
    client_for, alice, bob, make_adr
):
    _records(1, 3)
    first, second = Adr.objects.get(number=1), Adr.objects.get(number=2)
    form = {"title": "Use lakeFS", "date": "2025-04-01"}
    client = client_for(alice)
    refused = client.post(
        "/knowledge/adr/new/",
        {**form, "supersedes": "ADR-0001, ADR-0999", "procedures": "procedure-1"},
    )
    assert refused.status_code == 400
    assert "No such record: ADR-0999." in refused.context["form"].errors["supersedes"]
    assert not Adr.objects.filter(title="Use lakeFS").exists()
    refused = client.post("/knowledge/adr/new/", {**form, "procedures": "no-such-procedure"})
    assert refused.status_code == 400 and "procedures" in refused.context["form"].errors

    response = client.post(
        "/knowledge/adr/new/",
        {**form, "supersedes": "ADR-0001, 2, ", "procedures": "procedure-1, procedure-3"},
    )
    assert response.status_code == 302
    new = Adr.objects.get(title="Use lakeFS")
    assert {p.old for p in AdrSupersedeProposal.objects.filter(adr=new)} == {first, second}
    assert {p.slug for p in new.procedures.all()} == {"procedure-1", "procedure-3"}
    edit = client.get(f"/knowledge/adr/{new.number}/edit/").content.decode()
    assert 'value="procedure-1, procedure-3"' in edit


def test_an_onboarding_step_names_its_record_as_typed(client_for, alice, role_factory):
    _records(1, 3)
    track = track_create(actor=alice, role=role_factory("ML"), title="ML onboarding")
    client = client_for(alice)
    step = {"phase": "first_day", "kind": "read_adr", "title": "Read the record", "order": 1}
    refused = client.post(f"/knowledge/tracks/{track.pk}/", {**step, "adr": "ADR-0042"})
    assert refused.status_code == 400 and "adr" in refused.context["form"].errors
    response = client.post(f"/knowledge/tracks/{track.pk}/", {**step, "adr": "ADR-0002"})
    assert response.status_code == 302
    assert TrackStep.objects.get(track=track).adr.number == 2
