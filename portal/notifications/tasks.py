"""Thin tasks on the "notifications" queue (routed by name in portal.celery)."""

from __future__ import annotations

from celery import shared_task

from portal.notifications import services

MAX_RETRIES = 6


def backoff(retries: int) -> int:
    """1, 2, 4 … seconds, at most ten minutes."""
    return min(600, 2**retries)


def _retry(task, exc: Exception) -> bool:
    """Schedule another attempt; False when there is no worker to make it (the
    embedded default runs tasks in place, where raising would reach the action)."""
    if task.request.is_eager:
        return False
    raise task.retry(exc=exc, countdown=backoff(task.request.retries)) from exc


@shared_task(name="notifications.dispatch_event", ignore_result=True)
def dispatch_event(event_id: int) -> None:
    services.notifications_for_event(event_id=event_id)


@shared_task(name="notifications.run_checks", ignore_result=True)
def run_checks(every: str | None = None) -> None:
    services.notifications_run_checks(every=every)


@shared_task(
    bind=True, name="notifications.send_email", ignore_result=True, max_retries=MAX_RETRIES
)
def send_email(self, notification_id: int) -> None:
    try:
        services.notification_email_send(notification_id=notification_id)
    except services.DeliveryError as exc:
        if self.request.retries >= self.max_retries:
            return  # the error stays on the notification; the bell still shows it
        _retry(self, exc)


@shared_task(
    bind=True, name="notifications.deliver_webhook", ignore_result=True, max_retries=MAX_RETRIES
)
def deliver_webhook(self, delivery_id: int) -> None:
    try:
        services.webhook_deliver(delivery_id=delivery_id)
    except services.DeliveryError as exc:
        if self.request.retries >= self.max_retries:
            services.webhook_delivery_give_up(delivery_id=delivery_id)
            return
        if not _retry(self, exc):
            services.webhook_delivery_give_up(delivery_id=delivery_id)
