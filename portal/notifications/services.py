"""Every write of notifications, preferences and webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record, jsonable
from portal.http import HttpError, http_request
from portal.models import AuditEvent
from portal.notifications import Message, Resolved, checks, rules_for
from portal.notifications.models import (
    DeliveryStatus,
    Notification,
    NotificationPreference,
    Webhook,
    WebhookDelivery,
)
from portal.policy import require
from portal.registry import registry
from portal.validation import has_nul

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Portal-Signature"
TIMESTAMP_HEADER = "X-Portal-Timestamp"
WEBHOOK_TIMEOUT = 5
WEBHOOK_ANSWER_MAX_BYTES = 64 * 1024


class DeliveryError(Exception):
    """A webhook receiver or a mail server did not take the message (retried)."""


def _user_id(recipient) -> int:
    return recipient if isinstance(recipient, int) else recipient.pk


def _enqueue(task, *args) -> None:
    # robust: a broker that is down must not fail the commit's other callbacks.
    transaction.on_commit(lambda: task.delay(*args), robust=True)


# --- From events and checks to notifications --------------------------------------


@transaction.atomic
def notifications_deliver(
    *, messages: Iterable[Message], event: AuditEvent | None = None
) -> list[Notification]:
    """Store each message for each recipient (the actor is not told of their own
    action), then queue the e-mails people want and the webhooks that listen."""
    from portal.notifications import tasks

    actor_id = event.actor_id if event is not None else None
    messages = list(messages)
    wanted: list[Notification] = []
    for message in messages:
        recipient_ids = {_user_id(r) for r in message.recipients} - {actor_id}
        for user_id in sorted(recipient_ids):
            wanted.append(
                Notification(
                    recipient_id=user_id,
                    kind=message.kind,
                    text_key=message.text_key,
                    fallback_text=(message.fallback_text or "")[:300],
                    params=jsonable(message.params),
                    url=message.url[:500],
                    audit_event=event,
                    dedup_key=message.dedup_key[:200],
                )
            )
    created = _create_new(wanted)
    if created:
        no_mail = set(
            NotificationPreference.objects.filter(
                user_id__in={n.recipient_id for n in created}, email=False
            ).values_list("user_id", "kind")
        )
        for notification in created:
            if (notification.recipient_id, notification.kind) not in no_mail:
                _enqueue(tasks.send_email, notification.pk)
    sent_kinds = {n.kind for n in created}
    fresh = [m for m in messages if not m.dedup_key or m.kind in sent_kinds]
    _queue_webhooks(fresh, event)
    return created


def _create_new(wanted: list[Notification]) -> list[Notification]:
    keyed = [n for n in wanted if n.dedup_key]
    seen = set(
        Notification.objects.filter(
            recipient_id__in={n.recipient_id for n in keyed},
            dedup_key__in={n.dedup_key for n in keyed},
        ).values_list("recipient_id", "dedup_key")
    )
    new = [n for n in wanted if not n.dedup_key or (n.recipient_id, n.dedup_key) not in seen]
    try:
        with transaction.atomic():
            return Notification.objects.bulk_create(new)
    except IntegrityError:
        # A concurrent check sent some of them first: keep the others.
        created = []
        for n in new:
            try:
                with transaction.atomic():
                    n.save()
                created.append(n)
            except IntegrityError:
                continue
        return created


def _queue_webhooks(messages: list[Message], event: AuditEvent | None) -> None:
    from portal.notifications import tasks

    if not messages:
        return
    hooks = list(Webhook.objects.filter(active=True))
    for message in messages:
        for hook in hooks:
            if message.kind not in hook.kinds:
                continue
            delivery = WebhookDelivery.objects.create(
                webhook=hook, kind=message.kind, payload=_payload(message, event)
            )
            _enqueue(tasks.deliver_webhook, delivery.pk)


def _payload(message: Message, event: AuditEvent | None) -> dict:
    probe = Notification(
        text_key=message.text_key, fallback_text=message.fallback_text, params=message.params
    )
    text = probe.text
    url = f"{settings.SITE_URL}{message.url}" if message.url.startswith("/") else message.url
    payload = {
        "kind": message.kind,
        # "text" is what Mattermost and Slack incoming webhooks display.
        "text": f"{text} {url}".strip(),
        "message": text,
        "detail": probe.detail,
        "url": url,
        "params": message.params,
        "sent_at": timezone.now(),
    }
    if event is not None:
        payload["event"] = {
            "verb": event.verb,
            "actor": event.actor_label,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "at": event.created_at,
        }
    return jsonable(payload)


def notifications_for_event(*, event_id: int) -> list[Notification]:
    event = AuditEvent.objects.select_related("actor").filter(pk=event_id).first()
    if event is None:
        return []
    results = [m for rule in rules_for(event.verb) for m in rule(event)]
    for resolved in (r for r in results if isinstance(r, Resolved)):
        Notification.objects.unread().filter(
            recipient_id__in=[_user_id(u) for u in resolved.recipients],
            dedup_key=resolved.dedup_key,
        ).update(read_at=timezone.now())
    messages = [m for m in results if isinstance(m, Message)]
    return notifications_deliver(messages=messages, event=event) if messages else []


def notifications_run_checks(*, every: str | None = None) -> int:
    """The periodic checks (reviews coming due, overdue onboarding, new findings);
    ``every`` picks the daily or the hourly ones, None runs all."""
    created = 0
    for name, check in sorted(checks(every).items()):
        try:
            created += len(notifications_deliver(messages=list(check())))
        except Exception:  # one broken check must not silence the others
            log.exception("notification check %s failed", name)
    return created


# --- Reading ---------------------------------------------------------------------


@transaction.atomic
def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notifications read (all of them when ``ids`` is None)."""
    require(user, "notification.read")
    unread = Notification.objects.for_user(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, user, email_kinds: Iterable[str]) -> None:
    require(user, "notification.read")
    email_kinds = set(email_kinds)
    unknown = email_kinds - set(registry.notification_kinds)
    if unknown:
        raise ValidationError({"email_kinds": [_("Unknown kinds: %s.") % ", ".join(unknown)]})
    before = dict(NotificationPreference.objects.filter(user=user).values_list("kind", "email"))
    after = {kind: kind in email_kinds for kind in registry.notification_kinds}
    for kind, email in after.items():
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"email": email}
        )
    audit_record(
        actor=user, verb="notification.preferences_set", obj=user, before=before, after=after
    )


# --- E-mail ----------------------------------------------------------------------


def notification_email_send(*, notification_id: int) -> bool:
    """Send one notification by mail. Raises when the mail server fails (the task
    retries); once sent it is not sent again, even if the task runs twice."""
    notification = (
        Notification.objects.select_related("recipient").filter(pk=notification_id).first()
    )
    if notification is None or notification.emailed_at or not notification.recipient.email:
        return False
    Notification.objects.filter(pk=notification.pk).update(
        email_attempts=notification.email_attempts + 1
    )
    link = f"{settings.SITE_URL}{notification.url}" if notification.url else settings.SITE_URL
    footer = _("You receive this because of your notification settings: %(url)s") % {
        "url": f"{settings.SITE_URL}/notifications/preferences/"
    }
    try:
        send_mail(
            subject=f"[{_('MLOps Portal')}] {notification.text}"[:200],
            message="\n\n".join(
                part for part in (notification.text, notification.detail, link) if part
            )
            + f"\n\n-- \n{footer}\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[notification.recipient.email],
        )
    except Exception as exc:
        Notification.objects.filter(pk=notification.pk).update(
            email_error=f"{exc.__class__.__name__}: {exc}"[:300]
        )
        raise DeliveryError(str(exc)) from exc
    Notification.objects.filter(pk=notification.pk).update(
        emailed_at=timezone.now(), email_error=""
    )
    return True


# --- Webhooks ---------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>": a receiver that rejects old
    timestamps cannot be fed a replayed request."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def webhook_deliver(*, delivery_id: int) -> bool:
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == DeliveryStatus.DELIVERED:
        return False
    hook = delivery.webhook
    body = json.dumps(delivery.payload, sort_keys=True, ensure_ascii=False).encode()
    timestamp = int(time.time())
    code, error = None, ""
    try:
        answer = http_request(
            "POST",
            hook.url,
            data=body,
            timeout=WEBHOOK_TIMEOUT,
            # The receiver's answer is only its status: read no more than a short reply.
            max_bytes=WEBHOOK_ANSWER_MAX_BYTES,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "mlops-portal-webhook",
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: webhook_signature(hook.secret, timestamp, body),
                "X-Portal-Event": delivery.kind,
                "X-Portal-Delivery": str(delivery.pk),
            },
        )
        code = answer.status
        if not 200 <= code < 300:
            error = f"HTTP {code}"
    except HttpError as exc:
        code, error = exc.status, str(exc)
    delivered = code is not None and 200 <= code < 300
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=delivery.attempts + 1,
        last_status_code=code,
        last_error=error[:300],
        status=DeliveryStatus.DELIVERED if delivered else DeliveryStatus.PENDING,
        delivered_at=timezone.now() if delivered else None,
    )
    if not delivered:
        raise DeliveryError(error or f"HTTP {code}")
    return True


def webhook_delivery_give_up(*, delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id).exclude(status=DeliveryStatus.DELIVERED).update(
        status=DeliveryStatus.FAILED
    )


def _clean_webhook(*, name: str, url: str, kinds: Iterable[str], secret: str | None) -> list[str]:
    errors: dict[str, list[str]] = {}
    kinds = sorted(set(kinds))
    if not name.strip() or has_nul(name) or len(name) > 100:
        errors["name"] = [_("Give a name of up to 100 characters.")]
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        errors["url"] = [_("Give an http or https URL.")]
    unknown = set(kinds) - set(registry.notification_kinds)
    if not kinds or unknown:
        errors["kinds"] = [_("Choose at least one known kind.")]
    if secret is not None and (len(secret) < 16 or len(secret) > 200 or has_nul(secret)):
        errors["secret"] = [_("The secret must be 16 to 200 characters long.")]
    if errors:
        raise ValidationError(errors)
    return kinds


def _webhook_snapshot(hook: Webhook) -> dict:
    # Never the secret itself: the audit log is read by more people than hold it.
    return {
        "name": hook.name,
        "url": hook.url,
        "kinds": hook.kinds,
        "active": hook.active,
        "secret": hook.secret_hint,
    }


@transaction.atomic
def webhook_create(
    *, actor, name: str, url: str, kinds: Iterable[str], secret: str = ""
) -> tuple[Webhook, str]:
    """Returns the webhook and its secret; an empty ``secret`` makes one up. The
    caller shows a generated secret once, and it is never shown again."""
    require(actor, "webhook.manage")
    secret = secret or secrets.token_urlsafe(32)
    kinds = _clean_webhook(name=name, url=url, kinds=kinds, secret=secret)
    hook = Webhook.objects.create(
        name=name.strip(), url=url, kinds=kinds, secret=secret, created_by=actor
    )
    audit_record(actor=actor, verb="webhook.create", obj=hook, after=_webhook_snapshot(hook))
    return hook, secret


@transaction.atomic
def webhook_update(
    *,
    actor,
    webhook: Webhook,
    name: str,
    url: str,
    kinds: Iterable[str],
    active: bool,
    secret: str = "",
) -> Webhook:
    """An empty ``secret`` keeps the current one."""
    require(actor, "webhook.manage", webhook)
    hook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    kinds = _clean_webhook(name=name, url=url, kinds=kinds, secret=secret or None)
    before = _webhook_snapshot(hook)
    hook.name, hook.url, hook.kinds, hook.active = name.strip(), url, kinds, active
    if secret:
        hook.secret = secret
    hook.save()
    audit_record(
        actor=actor, verb="webhook.update", obj=hook, before=before, after=_webhook_snapshot(hook)
    )
    return hook


@transaction.atomic
def webhook_delete(*, actor, webhook: Webhook) -> None:
    require(actor, "webhook.manage", webhook)
    audit_record(actor=actor, verb="webhook.delete", obj=webhook, before=_webhook_snapshot(webhook))
    webhook.delete()


@transaction.atomic
def webhook_test_send(*, actor, webhook: Webhook) -> WebhookDelivery:
    """Queue a test message to the webhook, signed like every other, and record it
    with the deliveries so its status shows beside them."""
    from portal.notifications import tasks

    require(actor, "webhook.manage", webhook)
    text = _("Test message from the MLOps Portal, sent by %(actor)s.") % {
        "actor": actor.get_username()
    }
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        kind="test",
        payload={
            "kind": "test",
            "text": text,
            "message": text,
            "url": settings.SITE_URL,
            "params": {},
            "sent_at": timezone.now().isoformat(),
        },
    )
    audit_record(actor=actor, verb="webhook.test", obj=webhook, after={"delivery": delivery.pk})
    _enqueue(tasks.deliver_webhook, delivery.pk)
    return delivery
