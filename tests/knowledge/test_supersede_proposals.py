"""An editor proposes, with a new record, that it supersedes an old one; nothing
changes until an approver accepts the new record; the old one then says by whom it
was superseded, and onboarding steps that point at it offer the successor."""

import pytest
from django.utils import timezone

from knowledge.models import Adr, AdrLink, AdrSupersedeProposal
from knowledge.services import adr_accept, adr_reject, adr_supersede_propose

pytestmark = pytest.mark.django_db


def test_alice_proposes_with_the_new_record_and_it_takes_effect_on_acceptance(
    client_for, alice, bob, make_adr
):
    old = make_adr("Use DVC")
    adr_accept(actor=bob, adr=old)
    response = client_for(alice).post(
        "/knowledge/adr/new/",
        {"title": "Use lakeFS", "date": "2025-04-01", "supersedes": old.code},
    )
    assert response.status_code == 302
    new = Adr.objects.get(title="Use lakeFS")
    old.refresh_from_db()
    assert old.status == "accepted" and not AdrLink.objects.exists()
    html = client_for(bob).get(f"/knowledge/adr/{new.number}/").content.decode()
    assert "When accepted, this record supersedes" in html and old.code in html

    response = client_for(bob).post(f"/knowledge/adr/{new.number}/accept/")
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.status == "superseded"
    assert AdrLink.objects.filter(source=new, target=old, kind="supersedes").exists()
    assert not AdrSupersedeProposal.objects.exists()
    page = client_for(alice).get(f"/knowledge/adr/{old.number}/").content.decode()
    assert 'id="superseded-by"' in page and f"{new.code} Use lakeFS" in page
    assert f"Superseded by {new.code}" in page  # the log says so


def test_a_rejected_record_supersedes_nothing(alice, bob, make_adr):
    old, new = make_adr("Old"), make_adr("New")
    adr_supersede_propose(actor=alice, adr=new, olds=[old])
    adr_reject(actor=bob, adr=new)
    old.refresh_from_db()
    assert old.status == "proposed" and not AdrSupersedeProposal.objects.exists()


def test_no_record_is_offered_or_accepted_as_its_own_target(client_for, alice, make_adr):
    adr = make_adr("Lonely")
    html = client_for(alice).get(f"/knowledge/adr/{adr.number}/").content.decode()
    assert f'<option value="{adr.pk}">' not in html
    with pytest.raises(Exception, match="cannot supersede itself"):
        adr_supersede_propose(actor=alice, adr=adr, olds=[adr])


def test_buttons_name_the_action(client_for, bob, make_adr):
    adr = make_adr("Undecided")
    html = client_for(bob).get(f"/knowledge/adr/{adr.number}/").content.decode()
    decide = html[html.index('id="decide"') :]
    assert ">Accept</button>" in decide and ">Reject</button>" in decide
    assert ">Accepted</button>" not in decide


def test_a_step_on_a_superseded_record_is_flagged_and_offers_the_successor(
    client_for, alice, bob, carol, make_adr
):
    from knowledge.choices import Phase, StepKind
    from knowledge.services import enrolment_create, role_create, track_create, track_step_create

    old = make_adr("Use DVC")
    adr_accept(actor=bob, adr=old)
    new = make_adr("Use lakeFS")
    adr_supersede_propose(actor=alice, adr=new, olds=[old])
    adr_accept(actor=bob, adr=new)
    track = track_create(actor=alice, role=role_create(actor=alice, name="DE"), title="Start")
    track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_WEEK,
        kind=StepKind.READ_ADR,
        title="Read the data decision",
        adr=old,
    )
    enrolment_create(actor=bob, user=carol, track=track, start_date=timezone.localdate())
    html = client_for(carol).get("/knowledge/onboarding/").content.decode()
    assert "Read its successor instead:" in html and f"{new.code} Use lakeFS" in html


def test_mark_read_on_the_record_returns_to_the_track(client_for, alice, bob, carol, make_adr):
    from knowledge.choices import Phase, StepKind
    from knowledge.services import enrolment_create, role_create, track_create, track_step_create

    adr = make_adr("Use MLflow")
    track = track_create(actor=alice, role=role_create(actor=alice, name="MLE"), title="Start")
    step = track_step_create(
        actor=alice,
        track=track,
        phase=Phase.FIRST_WEEK,
        kind=StepKind.READ_ADR,
        title="Read the tracking decision",
        adr=adr,
    )
    enrolment = enrolment_create(
        actor=bob, user=carol, track=track, start_date=timezone.localdate(), buddy=alice
    )
    c = client_for(carol)
    html = c.get(f"/knowledge/adr/{adr.number}/").content.decode()
    assert "Mark read and return to my onboarding" in html
    response = c.post(
        f"/knowledge/onboarding/{enrolment.pk}/steps/{step.pk}/complete/", {"back": "track"}
    )
    assert response["Location"] == "/knowledge/onboarding/"
    assert "Mark read and return" not in c.get(f"/knowledge/adr/{adr.number}/").content.decode()
    assert "Track complete." in c.get("/knowledge/onboarding/").content.decode()


def test_finishing_the_track_tells_the_buddy_once(
    alice, bob, carol, make_adr, django_capture_on_commit_callbacks, settings
):
    from django.utils import translation

    from knowledge.choices import Phase, StepKind
    from knowledge.services import (
        enrolment_create,
        role_create,
        step_complete,
        track_create,
        track_step_create,
    )
    from portal.celery import app
    from portal.models import Notification

    app.conf.task_always_eager = True
    try:
        track = track_create(actor=alice, role=role_create(actor=alice, name="MLE"), title="Start")
        steps = [
            track_step_create(
                actor=alice, track=track, phase=Phase.FIRST_DAY, kind=StepKind.TASK, title=t
            )
            for t in ("Get a laptop", "Meet the team")
        ]
        enrolment = enrolment_create(
            actor=bob, user=carol, track=track, start_date=timezone.localdate(), buddy=alice
        )
        for step in steps:
            with django_capture_on_commit_callbacks(execute=True):
                step_complete(actor=carol, enrolment=enrolment, step=step)
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    told = Notification.objects.filter(recipient=alice, kind="onboarding_completed")
    assert told.count() == 1
    with translation.override("en"):
        assert told.get().text == "Carol finished the onboarding track “Start”"
