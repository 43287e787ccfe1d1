"""Delivery for real: a Celery worker on Redis sends the mail, a mail server that
fails is retried without touching the action, and webhooks reach a real HTTP
receiver, signed, retried when it fails."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from portal.models import Notification, WebhookDelivery
from portal.notifications import services
from procedures import services as procedure_services
from procedures.models import Category

WAIT = 20


def wait_for(condition, timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


class Receiver:
    """An HTTP endpoint that answers 500 to the first ``failures`` requests."""

    def __init__(self, failures: int = 1):
        self.requests: list[tuple[dict, bytes, int]] = []
        self.failures = failures
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if len(receiver.requests) < receiver.failures else 200
                receiver.requests.append((dict(self.headers), body, status))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def empty_queues():
    """A message left in Redis by another test names rows of a database that no
    longer exists: empty the queues before the worker starts."""
    from portal.celery import app

    app.control.purge()


@pytest.fixture
def worker(empty_queues, celery_worker):
    return celery_worker


def _submit(alice, slug="gpu-usage"):
    procedure = procedure_services.procedure_create(
        actor=alice,
        title="GPU usage",
        slug=slug,
        category=Category.objects.order_by("order").first(),
        body="Request GPUs through the queue.",
    )
    return procedure_services.version_submit(actor=alice, version=procedure.versions.get())


def _check_signature(headers: dict, body: bytes, secret: str) -> None:
    timestamp = headers["X-Portal-Timestamp"]
    assert abs(time.time() - int(timestamp)) < 120
    assert headers["X-Portal-Signature"] == services.webhook_signature(secret, timestamp, body)
    assert headers["X-Portal-Signature"] != services.webhook_signature("wrong" * 4, timestamp, body)


@pytest.mark.django_db
def test_a_webhook_is_signed_and_a_failed_attempt_is_repeated(dave):
    hook, secret = services.webhook_create(
        actor=dave, name="Mattermost", url="http://127.0.0.1:9/", kinds=["review_requested"]
    )
    delivery = WebhookDelivery.objects.create(
        webhook=hook, kind="review_requested", payload={"text": "Проверьте версию", "n": 1}
    )
    with Receiver(failures=1) as receiver:
        hook.url = receiver.url
        hook.save(update_fields=["url"])
        with pytest.raises(services.DeliveryError):
            services.webhook_deliver(delivery_id=delivery.pk)
        assert services.webhook_deliver(delivery_id=delivery.pk)
        assert not services.webhook_deliver(delivery_id=delivery.pk)  # done: not sent again
    assert [status for _h, _b, status in receiver.requests] == [500, 200]
    headers, body, _status = receiver.requests[-1]
    _check_signature(headers, body, secret)
    assert json.loads(body)["text"] == "Проверьте версию"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_mails_the_approvers(worker, alice, bob, carol):
    version = _submit(alice)
    assert wait_for(lambda: len(mail.outbox) == 1), "no mail arrived"
    assert mail.outbox[0].to == ["bob@example.org"]
    assert "GPU usage v1.0" in mail.outbox[0].subject
    # The worker records the sending just after the backend returns.
    assert wait_for(lambda: Notification.objects.get(recipient=bob).emailed_at is not None)
    assert version.status == "in_review"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_is_retried_and_the_action_stands(worker, settings, alice, bob):
    from tests.portal.flaky_mail import FailsOnceBackend

    FailsOnceBackend.failures = 0
    settings.EMAIL_BACKEND = "tests.portal.flaky_mail.FailsOnceBackend"
    version = _submit(alice)
    version.refresh_from_db()
    assert version.status == "in_review"  # committed before any mail was tried
    assert wait_for(lambda: len(mail.outbox) == 1), "the retry never delivered"
    assert wait_for(lambda: Notification.objects.get(recipient=bob).emailed_at is not None)
    note = Notification.objects.get(recipient=bob)
    assert note.email_attempts == 2 and note.emailed_at is not None and note.email_error == ""


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_posts_to_the_webhook_until_it_answers(worker, alice, bob, dave):
    with Receiver(failures=1) as receiver:
        _hook, secret = services.webhook_create(
            actor=dave, name="Slack", url=receiver.url, kinds=["review_requested"]
        )
        _submit(alice)
        assert wait_for(lambda: len(receiver.requests) == 2), receiver.requests
    headers, body, status = receiver.requests[-1]
    assert status == 200 and headers["X-Portal-Event"] == "review_requested"
    _check_signature(headers, body, secret)
    payload = json.loads(body)
    assert payload["event"]["verb"] == "procedure.version_submit"
    assert "alice submitted “GPU usage v1.0” for review" in payload["text"]
    assert wait_for(lambda: WebhookDelivery.objects.get().status == "delivered")
    assert WebhookDelivery.objects.get().attempts == 2
