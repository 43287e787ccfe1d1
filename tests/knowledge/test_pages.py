"""The knowledge pages: who sees what, the editor and its preview, bad input."""

import pytest

from knowledge.models import Adr
from knowledge.services import adr_accept


@pytest.mark.parametrize(
    "url",
    [
        "/knowledge/",
        "/knowledge/adr/",
        "/knowledge/adr/?view=timeline",
        "/knowledge/adr/graph/",
        "/knowledge/matrix/",
        "/knowledge/onboarding/",
        "/knowledge/tracks/",
    ],
)
def test_readers_see_the_pages(client_for, carol, url):
    assert client_for(carol).get(url).status_code == 200


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get("/knowledge/adr/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_record_page_shows_links_both_ways_and_the_history(client_for, alice, bob, make_adr):
    from knowledge.services import adr_supersede

    old = make_adr("Use DVC", context="**Bold** <script>alert(1)</script>")
    adr_accept(actor=bob, adr=old)
    new = make_adr("Use lakeFS")
    adr_supersede(actor=bob, adr=new, old=old)
    old_page = client_for(alice).get(old.get_absolute_url()).content.decode()
    assert "Superseded by" in old_page and "ADR-0002 Use lakeFS" in old_page
    assert "<strong>Bold</strong>" in old_page and "<script>alert" not in old_page
    assert "bob" in old_page  # who accepted it
    new_page = client_for(alice).get(new.get_absolute_url()).content.decode()
    assert "Supersedes" in new_page and "ADR-0001 Use DVC" in new_page
    graph = client_for(alice).get("/knowledge/adr/graph/").content.decode()
    assert "<svg" in graph and "ADR-0001" in graph and "ADR-0002" in graph


def test_an_editor_writes_a_record_with_a_live_preview(client_for, alice):
    client = client_for(alice)
    assert client.get("/knowledge/adr/new/").status_code == 200
    preview = client.post(
        "/knowledge/adr/preview/",
        {"title": "Квоты GPU", "context": "Use *Kueue*"},
        HTTP_HX_REQUEST="true",
    )
    assert "<em>Kueue</em>" in preview.content.decode()
    response = client.post(
        "/knowledge/adr/new/",
        {
            "title": "Квоты GPU",
            "date": "2025-01-10",
            "context": "Use Kueue",
            "elements": ["hardware"],
        },
    )
    assert response.status_code == 302
    adr = Adr.objects.get()
    assert (adr.slug, adr.context) == ("kvoty-gpu", "Use Kueue")
    edit = client.post(
        f"/knowledge/adr/{adr.number}/edit/",
        {"title": "Квоты GPU", "date": "2025-01-10", "context": "Use Kueue queues", "revision": 1},
    )
    assert edit.status_code == 302
    diff = client.get(f"/knowledge/adr/{adr.number}/diff/?a=1&b=2").content.decode()
    assert "Use Kueue<ins> queues</ins>" in diff


def test_bad_editor_input_is_a_400_and_stores_nothing(client_for, alice, settings):
    settings.MARKDOWN_MAX_BYTES = 20
    response = client_for(alice).post(
        "/knowledge/adr/new/", {"title": "Big", "date": "2025-01-10", "context": "x" * 21}
    )
    assert response.status_code == 400
    assert "limit" in response.content.decode()
    assert (
        client_for(alice).post("/knowledge/adr/new/", {"title": "", "date": "nope"}).status_code
        == 400
    )
    assert not Adr.objects.exists()


def test_viewers_cannot_write_and_approvers_decide(client_for, carol, alice, bob, make_adr):
    adr = make_adr()
    assert client_for(carol).get("/knowledge/adr/new/").status_code == 403
    assert client_for(carol).post(f"/knowledge/adr/{adr.number}/accept/").status_code == 403
    assert client_for(alice).post(f"/knowledge/adr/{adr.number}/accept/").status_code == 403
    assert client_for(bob).post(f"/knowledge/adr/{adr.number}/accept/").status_code == 302
    assert client_for(bob).post(f"/knowledge/adr/{adr.number}/accept/").status_code == 409
    assert client_for(bob).post(f"/knowledge/adr/{adr.number}/explode/").status_code == 404
    assert client_for(carol).get("/knowledge/onboarding/team/").status_code == 403


def test_upload_page_imports_files(client_for, alice):
    from django.core.files.uploadedfile import SimpleUploadedFile

    good = SimpleUploadedFile(
        "0001-a.md", "# 1. Первое решение\n\n## Status\n\nAccepted\n".encode()
    )
    bad = SimpleUploadedFile("0002-b.md", b"no title")
    response = client_for(alice).post("/knowledge/adr/import/", {"files": [good, bad]})
    assert response.status_code == 200
    text = response.content.decode()
    assert "0002-b.md, line 1" in text
    assert Adr.objects.get().title == "Первое решение"
    assert client_for(alice).post("/knowledge/adr/import/", {}).status_code == 400


def test_the_track_editor_adds_and_removes_steps(client_for, alice, carol, role_factory):
    from knowledge.services import track_create

    track = track_create(actor=alice, role=role_factory("ML engineer"), title="ML onboarding")
    client = client_for(alice)
    assert client_for(carol).get(f"/knowledge/tracks/{track.pk}/").status_code == 403
    response = client.post(
        f"/knowledge/tracks/{track.pk}/",
        {"phase": "first_day", "kind": "task", "title": "Meet your buddy", "order": 10},
    )
    assert response.status_code == 302
    step = track.steps.get()
    bad = client.post(
        f"/knowledge/tracks/{track.pk}/",
        {"phase": "first_day", "kind": "acknowledge", "title": "x", "order": 1},
    )
    assert bad.status_code == 400
    client.post(f"/knowledge/tracks/{track.pk}/steps/{step.pk}/delete/")
    assert not track.steps.exists()


def test_the_track_editor_lists_steps_by_phase_then_order(client_for, alice, role_factory):
    from knowledge.services import track_create, track_step_create

    track = track_create(actor=alice, role=role_factory("ML engineer"), title="ML onboarding")
    for phase, order, title in [
        ("first_month", 10, "month"),
        ("first_day", 20, "day, second"),
        ("first_week", 5, "week"),
        ("first_day", 10, "day, first"),
    ]:
        track_step_create(
            actor=alice, track=track, phase=phase, kind="task", title=title, order=order
        )
    response = client_for(alice).get(f"/knowledge/tracks/{track.pk}/")
    titles = [step.title for step in response.context["steps"]]
    assert titles == ["day, first", "day, second", "week", "month"]


def test_a_lead_enrols_a_person(client_for, bob, carol, alice, role_factory):
    from knowledge.services import track_create

    track = track_create(actor=alice, role=role_factory("ML engineer"), title="ML onboarding")
    response = client_for(bob).post(
        "/knowledge/onboarding/enrol/",
        {"user": carol.pk, "track": track.pk, "start_date": "2026-11-02", "buddy": alice.pk},
    )
    assert response.status_code == 302
    page = client_for(bob).get("/knowledge/onboarding/team/").content.decode()
    assert "Carol" in page and "ML onboarding" in page
    again = client_for(bob).post(
        "/knowledge/onboarding/enrol/",
        {"user": carol.pk, "track": track.pk, "start_date": "2026-11-02"},
    )
    assert again.status_code == 409


def test_the_home_page_shows_the_knowledge_and_people_panels(client_for, carol, make_adr):
    make_adr("Keycloak for single sign-on")
    page = client_for(carol).get("/").content.decode()
    assert "Keycloak for single sign-on" in page
    assert "activities without an Accountable" in page
    assert 'href="/knowledge/"' in page  # the nav item


def test_the_russian_ui(client_for, carol, make_adr, role_factory, activity_factory):
    make_adr("Выбор хранилища")
    role_factory("Data scientist", name_ru="Специалист по данным")
    activity_factory("Log metrics", name_ru="Логировать метрики")
    client = client_for(carol)
    client.cookies["django_language"] = "ru"
    log = client.get("/knowledge/adr/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Архитектурные решения" in log and "Предложено" in log
    matrix = client.get("/knowledge/matrix/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Матрица ответственности" in matrix
    assert "Специалист по данным" in matrix and "Логировать метрики" in matrix
    assert "не назначена роль A" in matrix
    mine = client.get("/knowledge/onboarding/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Мой онбординг" in mine


def test_an_editor_creates_a_track_for_a_role_without_one(client_for, alice, carol, role_factory):
    role = role_factory("Data engineer")
    response = client_for(alice).post(
        "/knowledge/tracks/", {"role": role.pk, "title": "Data onboarding"}
    )
    assert response.status_code == 302
    assert role.track.title == "Data onboarding"
    again = client_for(alice).post("/knowledge/tracks/", {"role": role.pk, "title": "Twice"})
    assert again.status_code == 400
    assert (
        client_for(carol).post("/knowledge/tracks/", {"role": role.pk, "title": "x"}).status_code
        == 403
    )
