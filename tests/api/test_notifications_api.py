"""Notifications in the API: one's own list, marking read and e-mail preferences;
webhooks for admins, with a signed test message and its delivery status."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from portal.models import AuditEvent
from portal.notifications import services
from portal.notifications.models import Notification, Webhook
from tests.portal.test_notifications_delivery import Receiver

pytestmark = pytest.mark.django_db


def _notify(user, n=1):
    return [
        Notification.objects.create(recipient=user, kind="review_due", fallback_text=f"Note {i}")
        for i in range(n)
    ]


def test_each_person_lists_and_marks_read_only_their_own(api_for, alice, carol):
    mine = _notify(carol, 2)
    _notify(alice, 1)
    listed = api_for(carol).get("/api/v1/notifications/?read_at__isnull=true").json()
    assert [n["id"] for n in listed["results"]] == [mine[1].pk, mine[0].pk]
    assert listed["results"][0]["text"] == "Note 1"
    # An id of alice's is not carol's to mark.
    alices = Notification.objects.get(recipient=alice).pk
    marked = api_for(carol).post(
        "/api/v1/notifications/read/", {"ids": [mine[0].pk, alices]}, format="json"
    )
    assert marked.json() == {"marked": 1}
    assert Notification.objects.get(pk=alices).read_at is None
    assert api_for(carol).post("/api/v1/notifications/read/", {}, format="json").json() == {
        "marked": 1
    }
    assert not Notification.objects.filter(recipient=carol, read_at__isnull=True).exists()


def test_preferences_read_and_set(api_for, carol):
    before = api_for(carol).get("/api/v1/notifications/preferences/").json()
    assert "review_requested" in before["email_kinds"]
    assert before["kinds"]["review_requested"]
    changed = api_for(carol).put(
        "/api/v1/notifications/preferences/", {"email_kinds": ["review_due"]}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["email_kinds"] == ["review_due"]
    bad = api_for(carol).put(
        "/api/v1/notifications/preferences/", {"email_kinds": ["no_such_kind"]}, format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid"


def test_only_admins_manage_webhooks(api_for, alice, carol):
    for person in (alice, carol):
        assert api_for(person).get("/api/v1/webhooks/").status_code == 403
        created = api_for(person).post(
            "/api/v1/webhooks/",
            {"name": "chat", "url": "https://chat.example.org/h", "kinds": ["review_due"]},
            format="json",
        )
        assert created.status_code == 403
    assert not Webhook.objects.exists()


def test_create_update_test_send_and_delete_a_webhook(
    api_for, dave, django_capture_on_commit_callbacks
):
    api = api_for(dave)
    with Receiver(failures=0) as receiver:
        created = api.post(
            "/api/v1/webhooks/",
            {"name": "Team chat", "url": receiver.url, "kinds": ["review_requested"]},
            format="json",
        )
        assert created.status_code == 201, created.json()
        hook = created.json()
        secret = hook["new_secret"]
        assert "secret" not in hook and hook["secret_hint"] == f"…{secret[-4:]}"
        assert "new_secret" not in api.get(f"/api/v1/webhooks/{hook['id']}/").json()

        changed = api.patch(
            f"/api/v1/webhooks/{hook['id']}/",
            {"kinds": ["review_requested", "review_due"]},
            format="json",
        )
        assert changed.status_code == 200
        assert changed.json()["kinds"] == ["review_due", "review_requested"]

        with django_capture_on_commit_callbacks(execute=False) as queued:
            sent = api.post(f"/api/v1/webhooks/{hook['id']}/test/")
        assert sent.status_code == 202
        assert sent.json()["status"] == "pending"
        assert len(queued) == 1  # the delivery task, enqueued after commit
        # What the worker's task does with it:
        assert services.webhook_deliver(delivery_id=sent.json()["id"])
        headers, body, code = receiver.requests[0]
        assert code == 200 and json.loads(body)["kind"] == "test"
        mac = hmac.new(
            secret.encode(), f"{headers['X-Portal-Timestamp']}.".encode() + body, hashlib.sha256
        ).hexdigest()
        assert headers["X-Portal-Signature"] == f"sha256={mac}"

    detail = api.get(f"/api/v1/webhooks/{hook['id']}/").json()
    assert [(d["kind"], d["status"], d["last_status_code"]) for d in detail["deliveries"]] == [
        ("test", "delivered", 200)
    ]
    listed = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()
    assert listed["count"] == 1
    assert AuditEvent.objects.filter(verb="webhook.test", actor=dave).count() == 1

    assert api.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 204
    assert not Webhook.objects.exists()
