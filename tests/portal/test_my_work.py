""" "My work" heads the home page: each person sees what they have to do now, from
cards the apps register, above the map of the seven elements."""

from __future__ import annotations

import pytest
from django.utils import timezone

from portal.registry import Registry, WorkPanel
from procedures import services
from procedures.models import Procedure
from tests.procedures.conftest import approved, draft_of, make_procedure, submitted


def _my_work(client) -> str:
    html = client.get("/").content.decode()
    start, end = html.index('id="my-work"'), html.index("Platform map")
    return html[start:end]


def test_every_procedure_to_read_is_listed_above_the_map(client_for, alice, bob, carol):
    for n in range(7):
        approved(alice, bob, slug=f"rule-{n}", title=f"Rule number {n}")
    work = _my_work(client_for(carol))
    assert "7 procedures to read" in work
    assert all(f"Rule number {n}" in work for n in range(7))


def test_a_re_ask_says_which_version_she_read_and_links_to_what_changed(
    client_for, alice, bob, carol
):
    first = approved(alice, bob)
    procedure = first.procedure
    services.procedure_acknowledge(actor=carol, procedure=procedure)
    assert "to read" not in _my_work(client_for(carol))
    second = services.version_create(
        actor=alice, procedure=procedure, body="New rules\n", change_kind="major"
    )
    second = services.version_submit(actor=alice, version=second)
    services.version_approve(actor=bob, version=second, content_sha256=second.content_sha256)
    work = _my_work(client_for(carol))
    assert "You read 1.0: it changed." in work
    assert f"/procedures/{procedure.slug}/diff/?from=1.0&amp;to=2.0" in work


def test_bob_sees_reviews_with_kind_and_summary_and_alice_her_sent_back_draft(
    client_for, alice, bob
):
    version = submitted(alice, change_summary="Keep raw data for a year")
    bob_work = _my_work(client_for(bob))
    assert "Reviews waiting for you" in bob_work
    assert "Keep raw data for a year" in bob_work and "major change" in bob_work
    services.version_request_changes(actor=bob, version=version, comment="Say who deletes it")
    alice_work = _my_work(client_for(alice))
    assert "My drafts" in alice_work and "Changes requested" in alice_work
    assert "Say who deletes it" in alice_work
    assert "Reviews waiting" not in alice_work


def test_carol_sees_her_next_onboarding_steps_and_can_do_them_from_home(
    client_for, alice, bob, carol
):
    from knowledge.choices import Phase, StepKind
    from knowledge.services import enrolment_create, role_create, track_create, track_step_create

    procedure = approved(alice, bob).procedure
    track = track_create(actor=alice, role=role_create(actor=alice, name="ML"), title="Start")
    steps = [
        track_step_create(
            actor=alice,
            track=track,
            phase=Phase.FIRST_DAY,
            kind=StepKind.TASK,
            title=f"Task {n}",
        )
        for n in range(4)
    ]
    ack = track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_DAY,
        kind=StepKind.ACKNOWLEDGE,
        title="Read the rules",
        procedure=procedure,
    )
    enrolment = enrolment_create(
        actor=bob, user=carol, track=track, start_date=timezone.localdate(), buddy=alice
    )
    c = client_for(carol)
    work = _my_work(c)
    assert "Task 0" in work and "Task 2" in work and "Task 3" not in work  # the next three
    response = c.post(
        f"/knowledge/onboarding/{enrolment.pk}/steps/{steps[0].pk}/complete/", {"back": "home"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Task 3" in _my_work(c)
    assert ack.pk


def test_nothing_to_do_says_so(client_for, dave):
    assert "Nothing waits for you right now." in _my_work(client_for(dave))


def test_a_second_panel_under_a_taken_key_is_refused():
    reg = Registry()
    panel = WorkPanel("reviews", "a.html", lambda request: None)
    reg.add_work_panel(panel)
    reg.add_work_panel(panel)  # the same registration again is harmless
    with pytest.raises(ValueError, match="registered twice"):
        reg.add_work_panel(WorkPanel("reviews", "b.html", lambda request: None))
    assert len(reg.work_panels) == 1


def test_the_draft_link_opens_the_editor(client_for, alice):
    draft = draft_of(make_procedure(alice))
    assert f"/v{draft.number}/edit/" in _my_work(client_for(alice))


def test_the_audit_log_names_actions_in_the_readers_language(client_for, alice, dave):
    draft_of(make_procedure(alice))
    c = client_for(dave)
    assert "Procedure created" in c.get("/audit/").content.decode()
    c.cookies["django_language"] = "ru"
    html = c.get("/audit/").content.decode()
    assert "Регламент создан" in html and ">procedure.create<" not in html


def test_search_badges_name_statuses_in_the_readers_language():
    from django.utils import translation

    from portal.templatetags.portal_tags import status_label

    with translation.override("ru"):
        assert status_label("current", "procedure") == "Действует"
        assert status_label("first_week", "onboarding_step") == "Первая неделя"
        assert status_label("auxiliary", "component") != "auxiliary"
    assert status_label("something_new", "procedure") == "something_new"


def test_a_long_reading_list_shows_the_first_ten_and_links_to_the_rest(
    client_for, alice, bob, carol
):
    for n in range(12):
        approved(alice, bob, slug=f"rule-{n:02d}", title=f"Rule number {n:02d}")
    client = client_for(carol)
    work = _my_work(client)
    assert "12 procedures to read" in work
    assert sum(f"Rule number {n:02d}" in work for n in range(12)) == 10
    assert "/procedures/?status=unread" in work
    listed = client.get("/procedures/?status=unread&page=1").content.decode()
    assert all(f"Rule number {n:02d}" in listed for n in range(12))
    services.procedure_acknowledge(actor=carol, procedure=Procedure.objects.get(slug="rule-00"))
    listed = client.get("/procedures/?status=unread").content.decode()
    assert "Rule number 00" not in listed and "Rule number 01" in listed


def test_the_reading_list_costs_the_same_queries_with_five_or_fifty_to_read(
    client_for, alice, bob, carol
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(carol)
    counts, made = [], 0
    for total in (5, 50):
        for n in range(made, total):
            approved(alice, bob, slug=f"rule-{n:02d}", title=f"Rule number {n:02d}")
        made = total
        client.get("/")
        with CaptureQueriesContext(connection) as ctx:
            html = client.get("/").content.decode()
        counts.append(len(ctx.captured_queries))
        assert f"{total} procedures to read" in html
    assert counts[0] == counts[1]


def test_the_home_page_counts_what_she_has_to_read_once(client_for, alice, bob, carol):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(3):
        approved(alice, bob, slug=f"rule-{n}", title=f"Rule number {n}")
    client = client_for(carol)
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/").content.decode()
    unread_counts = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT COUNT(*)")
        and "procedures_procedure" in q["sql"]
        and "procedures_acknowledgement" in q["sql"]
    ]
    assert len(unread_counts) == 1  # "My work" and the platform map's card share it
    assert "3 procedures to read" in html
