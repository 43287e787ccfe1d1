"""Wiring done once at start-up (PortalConfig.ready)."""

from __future__ import annotations

from django.db import transaction

from portal.notifications import rules_for


def _on_audit_event(event) -> None:
    # Most events concern nobody; only those with rules cost a task.
    if not rules_for(event.verb):
        return
    from portal.notifications.tasks import dispatch_event

    event_id = event.pk
    transaction.on_commit(lambda: dispatch_event.delay(event_id), robust=True)


def connect() -> None:
    from celery.schedules import crontab

    from portal.audit import add_audit_listener
    from portal.celery import app
    from portal.notifications import tasks
    from portal.policy import role_rule
    from portal.roles import PortalRole

    role_rule("notification.read", PortalRole.VIEWER)
    role_rule("webhook.manage", PortalRole.ADMIN)
    add_audit_listener(_on_audit_event)
    app.add_periodic_task(
        crontab(hour=7, minute=0), tasks.run_checks.s("daily"), name="notifications: daily checks"
    )
    app.add_periodic_task(
        crontab(minute=5), tasks.run_checks.s("hourly"), name="notifications: hourly checks"
    )
