"""Who is told what, under the bell and by mail, and what they can choose. Tasks
run eagerly here; tests/portal/test_notifications_delivery.py runs a real worker."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from portal.models import AuditEvent, Notification, NotificationPreference
from portal.notifications import services
from portal.policy import roles_of
from portal.roles import PortalRole
from procedures import services as procedure_services
from procedures.models import Category
from tests.portal.publishing import approve, publish, tasks_run_in_place  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


def _draft(alice, slug="gpu-usage", title="GPU usage"):
    procedure = procedure_services.procedure_create(
        actor=alice,
        title=title,
        slug=slug,
        category=Category.objects.order_by("order").first(),
        body="Request GPUs through the queue.",
    )
    return procedure.versions.get()


def _texts(user):
    with translation.override("en"):
        return [n.text for n in Notification.objects.filter(recipient=user)]


def test_a_submitted_version_is_announced_to_the_approvers(people, run_on_commit):
    alice, bob, carol, dave = people["alice"], people["bob"], people["carol"], people["dave"]
    version = _draft(alice)
    run_on_commit(procedure_services.version_submit, actor=alice, version=version)
    assert _texts(bob) == ["alice submitted “GPU usage v1.0” for review"]
    assert _texts(dave) == _texts(bob)  # admins approve too
    assert _texts(carol) == [] and _texts(alice) == []
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.org", "dave@example.org"]
    assert "/procedures/gpu-usage/" in mail.outbox[0].body
    note = Notification.objects.get(recipient=bob)
    assert note.audit_event.verb == "procedure.version_submit"


def test_the_author_hears_the_decision(people, run_on_commit):
    alice, bob = people["alice"], people["bob"]
    version = _draft(alice)
    version = procedure_services.version_submit(actor=alice, version=version)
    run_on_commit(
        procedure_services.version_request_changes,
        actor=bob,
        version=version,
        comment="Say which queue.",
    )
    assert _texts(alice) == ["bob sent “GPU usage v1.0” back for changes"]


def test_the_author_hears_the_approval_and_rejection(people, run_on_commit):
    alice, bob = people["alice"], people["bob"]
    run_on_commit(publish, alice, bob, title="GPU usage", slug="gpu-usage", body="Text.")
    other = _draft(alice, slug="other", title="Other")
    other = procedure_services.version_submit(actor=alice, version=other)
    run_on_commit(procedure_services.version_reject, actor=bob, version=other, comment="No.")
    assert _texts(alice) == [
        "“Other v1.0” was rejected by bob",
        "“GPU usage v1.0” was approved by bob",
    ]


def test_a_new_major_version_asks_everyone_to_acknowledge(people, run_on_commit):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    procedure = publish(alice, bob, title="GPU usage", slug="gpu-usage", body="Text.")
    version = procedure_services.version_create(actor=alice, procedure=procedure, body="New.")
    run_on_commit(approve, alice, bob, version)
    assert "“GPU usage v2.0” is a new major version: read and acknowledge it" in _texts(carol)
    # bob approved it: he is not told about his own action.
    assert not any("acknowledge" in t for t in _texts(bob))


def test_people_choose_what_comes_by_mail(people, client_for, run_on_commit):
    alice, bob = people["alice"], people["bob"]
    client = client_for(bob)
    response = client.post(
        "/notifications/preferences/", {"email_kinds": ["version_decided", "review_due"]}
    )
    assert response.status_code == 302
    assert not NotificationPreference.objects.get(user=bob, kind="review_requested").email
    assert AuditEvent.objects.filter(verb="notification.preferences_set", actor=bob).exists()
    run_on_commit(procedure_services.version_submit, actor=alice, version=_draft(alice))
    assert _texts(bob)  # still under the bell
    assert [m.to[0] for m in mail.outbox] == ["dave@example.org"]


def test_preferences_refuse_unknown_kinds(bob, client_for):
    response = client_for(bob).post("/notifications/preferences/", {"email_kinds": ["nope"]})
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_the_bell_counts_unread_in_one_query(people, client_for, run_on_commit):
    alice, bob = people["alice"], people["bob"]
    run_on_commit(procedure_services.version_submit, actor=alice, version=_draft(alice))
    client = client_for(bob)
    page = client.get("/notifications/").content.decode()
    assert 'data-testid="bell-count">1<' in page
    with CaptureQueriesContext(connection) as ctx:
        client.get("/search/")
    assert sum("portal_notification" in q["sql"] for q in ctx.captured_queries) == 1
    note = Notification.objects.get(recipient=bob)
    response = client.post("/notifications/read/", {"id": note.pk})
    assert response.status_code == 302 and response["Location"] == note.url
    assert 'data-testid="bell-count"' not in client.get("/notifications/").content.decode()


@pytest.mark.parametrize("url", ["/\\evil.example/", "//evil.example/", "https://evil.example/"])
def test_reading_a_notification_never_redirects_off_the_portal(bob, client_for, url):
    note = Notification.objects.create(recipient=bob, kind="procedure.review", url=url)
    response = client_for(bob).post("/notifications/read/", {"id": note.pk})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert Notification.objects.get(pk=note.pk).read_at is not None


@pytest.mark.parametrize("role", list(PortalRole))
def test_a_role_addresses_exactly_the_people_policy_gives_it(people, role):
    from django.contrib.auth import get_user_model

    from portal.notifications.recipients import users_with_role

    get_user_model().objects.create_superuser("root", password="x")  # no group, every role
    everyone = get_user_model().objects.all()
    assert {u.username for u in users_with_role(role)} == {
        u.username for u in everyone if role.value in roles_of(u)
    }


def test_nobody_marks_anothers_notifications_read(people, client_for, run_on_commit):
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    run_on_commit(procedure_services.version_submit, actor=alice, version=_draft(alice))
    note = Notification.objects.get(recipient=bob)
    client_for(carol).post("/notifications/read/", {"id": note.pk})
    assert Notification.objects.get(pk=note.pk).read_at is None
    assert client_for(carol).post("/notifications/read/", {"id": "x"}).status_code == 400


def test_the_daily_check_reminds_the_owner_once(people, run_on_commit):
    alice, bob = people["alice"], people["bob"]
    procedure = publish(alice, bob, title="GPU usage", slug="gpu-usage", body="Text.")
    procedure.review_due_at = timezone.now() + timezone.timedelta(days=3)
    procedure.save(update_fields=["review_due_at"])
    assert run_on_commit(services.notifications_run_checks) == 1
    assert run_on_commit(services.notifications_run_checks) == 0
    due = f"{procedure.review_due_at:%Y-%m-%d}"
    assert _texts(alice) == [f"“GPU usage” is due for review on {due}"]
    assert len(mail.outbox) == 1


def test_a_failing_mail_server_does_not_undo_the_action(people, settings, run_on_commit):
    settings.EMAIL_BACKEND = "tests.portal.flaky_mail.AlwaysFailingBackend"
    alice = people["alice"]
    version = run_on_commit(procedure_services.version_submit, actor=alice, version=_draft(alice))
    version.refresh_from_db()
    assert version.status == "in_review"
    note = Notification.objects.get(recipient=people["bob"])
    assert note.emailed_at is None and "refused" in note.email_error


def test_russian_readers_see_russian(people, client_for, run_on_commit):
    alice, bob = people["alice"], people["bob"]
    run_on_commit(procedure_services.version_submit, actor=alice, version=_draft(alice))
    client = client_for(bob)
    client.cookies["django_language"] = "ru"
    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "alice отправил(а) на рассмотрение «GPU usage v1.0»" in page
