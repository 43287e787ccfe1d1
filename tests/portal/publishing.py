"""Procedures published through the real services, for the portal's own tests
(search, notifications, the home page)."""

from __future__ import annotations

import pytest

from procedures import services
from procedures.models import Category, Procedure


def publish(author, approver, *, title: str, body: str, slug: str, elements=()) -> Procedure:
    """A procedure whose first version is approved and in force."""
    procedure = services.procedure_create(
        actor=author,
        title=title,
        slug=slug,
        category=Category.objects.order_by("order").first(),
        body=body,
        elements=elements,
    )
    version = procedure.versions.get()
    approve(author, approver, version)
    return procedure


def approve(author, approver, version):
    version = services.version_submit(actor=author, version=version)
    services.version_approve(actor=approver, version=version, content_sha256=version.content_sha256)
    return version


def revise(author, approver, procedure: Procedure, *, body: str, title: str | None = None):
    """A new major version, approved: the one before it becomes the past."""
    version = services.version_create(actor=author, procedure=procedure, body=body, title=title)
    return approve(author, approver, version)


@pytest.fixture(autouse=True)
def tasks_run_in_place(settings):
    """Tasks run eagerly even when REDIS_URL is set: the tests that import this check
    what is delivered, not how (test_notifications_delivery.py runs a real worker)."""
    from portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
