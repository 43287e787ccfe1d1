"""After a major change carol is asked again and shown what changed since the version
she read; once she acknowledges, the notice is settled; a minor change keeps her
acknowledgement and the page says which version she read."""

import pytest
from django.core import mail
from django.utils import translation

from portal.models import Notification
from procedures import services
from procedures.models import Category
from tests.portal.publishing import approve, publish, tasks_run_in_place  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


def _new_version(alice, bob, procedure, run_on_commit, **content):
    draft = services.version_create(actor=alice, procedure=procedure, **content)
    version = services.version_submit(actor=alice, version=draft)
    run_on_commit(
        services.version_approve, actor=bob, version=version, content_sha256=version.content_sha256
    )
    return version


def test_carol_is_shown_what_changed_since_she_read_and_the_notice_clears(
    client_for, alice, bob, carol, run_on_commit, settings
):
    settings.SITE_URL = "https://portal.team.example"
    procedure = publish(alice, bob, title="GPU quotas", slug="gpu-quotas", body="One GPU each.\n")
    services.procedure_acknowledge(actor=carol, procedure=procedure)
    _new_version(
        alice,
        bob,
        procedure,
        run_on_commit,
        body="Two GPUs each.\n",
        change_kind="major",
        change_summary="Quotas doubled",
    )
    notice = Notification.objects.get(recipient=carol, kind="acknowledgement_required")
    assert notice.read_at is None and notice.detail == "Quotas doubled"
    carol_mail = next(m for m in mail.outbox if m.to == ["carol@example.org"])
    assert "Quotas doubled" in carol_mail.body
    assert "https://portal.team.example/procedures/gpu-quotas/" in carol_mail.body

    html = client_for(carol).get("/procedures/gpu-quotas/").content.decode()
    assert "You read 1.0: here is what changed in 2.0" in html
    assert "<del>One</del>" in html and "<ins>Two</ins>" in html and "Quotas doubled" in html

    run_on_commit(services.procedure_acknowledge, actor=carol, procedure=procedure)
    notice.refresh_from_db()
    assert notice.read_at is not None
    html = client_for(carol).get("/procedures/gpu-quotas/").content.decode()
    assert "what changed in 2.0" not in html and "You have acknowledged version 2.0." in html


def test_after_a_minor_version_the_page_names_the_version_she_read(
    client_for, alice, bob, carol, run_on_commit
):
    procedure = publish(alice, bob, title="GPU quotas", slug="gpu-quotas", body="Text\n")
    _new_version(alice, bob, procedure, run_on_commit, body="Text 2\n", change_kind="major")
    services.procedure_acknowledge(actor=carol, procedure=procedure)
    _new_version(alice, bob, procedure, run_on_commit, body="Text 2.\n", change_kind="minor")
    html = client_for(carol).get("/procedures/gpu-quotas/").content.decode()
    assert "You have acknowledged version 2.0." in html
    assert "You have acknowledged version 2.1." not in html
    assert "Version 2.1 is in force now: it has editorial changes only" in html


def test_the_author_is_told_what_the_reviewer_asked_for(alice, bob, run_on_commit):
    procedure = services.procedure_create(
        actor=alice,
        title="Backups",
        slug="backups",
        category=Category.objects.order_by("order").first(),
        body="Back up.\n",
    )
    version = services.version_submit(actor=alice, version=procedure.versions.get())
    run_on_commit(
        services.version_request_changes,
        actor=bob,
        version=version,
        comment="Say how often and where to",
    )
    notice = Notification.objects.get(recipient=alice)
    with translation.override("en"):
        assert notice.text == "bob sent “Backups v1.0” back for changes"
    assert notice.detail == "Say how often and where to"
    assert "Say how often and where to" in mail.outbox[-1].body
