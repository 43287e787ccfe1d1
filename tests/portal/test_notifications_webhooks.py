"""Webhooks are managed by administrators only, through audited services; their
secrets are stored to sign with and never shown back."""

import pytest

from portal.models import AuditEvent, Webhook
from portal.notifications import services
from tests.portal.publishing import tasks_run_in_place  # noqa: F401 (autouse)

pytestmark = pytest.mark.django_db


SECRET = "s3cret-value-that-is-long-XYZW"


def test_only_admins_manage_webhooks(client_for, alice, carol):
    for person in (alice, carol):
        client = client_for(person)
        assert client.get("/notifications/webhooks/").status_code == 403
        response = client.post(
            "/notifications/webhooks/",
            {"name": "x", "url": "https://chat.example.org/hook", "kinds": ["review_due"]},
        )
        assert response.status_code == 403
    assert not Webhook.objects.exists()


def test_a_webhook_secret_is_never_shown_back(client_for, dave):
    client = client_for(dave)
    response = client.post(
        "/notifications/webhooks/",
        {
            "name": "Mattermost",
            "url": "https://chat.example.org/hooks/abc",
            "kinds": ["review_requested", "finding_opened"],
            "secret": SECRET,
            "active": "on",
        },
    )
    assert response.status_code == 302
    hook = Webhook.objects.get()
    assert hook.secret == SECRET and hook.kinds == ["finding_opened", "review_requested"]
    for page in ("/notifications/webhooks/", f"/notifications/webhooks/{hook.pk}/"):
        body = client.get(page).content.decode()
        assert SECRET not in body and "…XYZW" in body
    event = AuditEvent.objects.get(verb="webhook.create")
    assert SECRET not in str(event.after) and event.actor == dave


def test_a_generated_secret_is_shown_once(client_for, dave):
    client = client_for(dave)
    response = client.post(
        "/notifications/webhooks/",
        {"name": "Slack", "url": "https://hooks.example.org/x", "kinds": ["review_due"]},
        follow=True,
    )
    secret = Webhook.objects.get().secret
    assert len(secret) >= 32 and secret in response.content.decode()
    assert secret not in client.get("/notifications/webhooks/").content.decode()


def test_bad_webhooks_are_refused_and_nothing_is_stored(client_for, dave):
    client = client_for(dave)
    for data in (
        {"name": "a", "url": "ftp://example.org/x", "kinds": ["review_due"]},
        {"name": "a", "url": "https://example.org/x", "kinds": ["nonsense"]},
        {"name": "a", "url": "https://example.org/x", "kinds": ["review_due"], "secret": "short"},
        {"name": "", "url": "https://example.org/x", "kinds": ["review_due"]},
    ):
        assert client.post("/notifications/webhooks/", data).status_code == 400, data
    assert not Webhook.objects.exists()


def test_editing_keeps_the_secret_unless_a_new_one_is_given(client_for, dave):
    hook, _secret = services.webhook_create(
        actor=dave,
        name="Chat",
        url="https://chat.example.org/h",
        kinds=["review_due"],
        secret=SECRET,
    )
    client = client_for(dave)
    data = {"name": "Chat 2", "url": "https://chat.example.org/h", "kinds": ["review_due"]}
    assert client.post(f"/notifications/webhooks/{hook.pk}/", data).status_code == 302
    hook.refresh_from_db()
    assert (hook.name, hook.secret, hook.active) == ("Chat 2", SECRET, False)
    client.post(f"/notifications/webhooks/{hook.pk}/", {"delete": "1"})
    assert not Webhook.objects.exists()
    assert list(
        AuditEvent.objects.filter(verb__startswith="webhook.").values_list("verb", flat=True)
    ) == ["webhook.delete", "webhook.update", "webhook.create"]
