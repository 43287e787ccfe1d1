"""Knowledge tests: procedures published through the procedures app's own services,
so onboarding sees exactly what a real approval produces."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "adr"


@pytest.fixture
def publish(alice, bob):
    """publish(slug) → a procedure with an approved version in force;
    publish(procedure, change_kind="major") → its next version, approved."""
    from procedures.models import Category, Procedure
    from procedures.services import (
        procedure_create,
        version_approve,
        version_create,
        version_submit,
    )

    def make(target="dataset-versioning", *, change_kind="major", body=None):
        if isinstance(target, Procedure):
            procedure = target
            version = version_create(
                actor=alice,
                procedure=procedure,
                body=body or f"Text of {procedure.slug}, revised ({change_kind}).",
                change_kind=change_kind,
            )
        else:
            category, _ = Category.objects.get_or_create(
                slug="dataset-versioning", defaults={"name": "Dataset versioning"}
            )
            procedure = procedure_create(
                actor=alice,
                title=target.replace("-", " ").capitalize(),
                slug=target,
                category=category,
                body=body or f"## Rules\n\nText of {target}.",
            )
            version = procedure.versions.get()
        version = version_submit(actor=alice, version=version)
        version_approve(actor=bob, version=version, content_sha256=version.content_sha256)
        procedure.refresh_from_db()
        return procedure

    return make


@pytest.fixture
def make_adr(alice):
    from knowledge.services import adr_create

    def make(title="Use MLflow", **kwargs):
        kwargs.setdefault("date", datetime.date(2025, 3, 1))
        return adr_create(actor=alice, title=title, **kwargs)

    return make


@pytest.fixture
def role_factory(alice):
    from knowledge.services import role_create

    counter = {"n": 0}

    def make(name=None, group="", **kwargs):
        counter["n"] += 1
        name = name or f"Role {counter['n']}"
        return role_create(actor=alice, name=name, keycloak_group=group, **kwargs)

    return make


@pytest.fixture
def activity_factory(alice):
    from knowledge.services import activity_create

    counter = {"n": 0}

    def make(name=None, **kwargs):
        counter["n"] += 1
        return activity_create(actor=alice, name=name or f"Activity {counter['n']}", **kwargs)

    return make


@pytest.fixture
def page_for(live_server):
    """page_for(user) → a page in a real Chromium, signed in as ``user`` the way the
    sign-in page would be, without depending on its form (local or Keycloak). Modules
    using it set DJANGO_ALLOW_ASYNC_UNSAFE: the ORM runs inside Playwright's loop."""
    from django.conf import settings
    from django.test import Client
    from playwright.sync_api import expect, sync_playwright

    from tests.conftest import launch_chromium

    # The CI machine is small and shared: wait longer than Playwright's 5 s default.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)

        def make(user):
            client = Client()
            client.force_login(user)
            context = browser.new_context()
            context.add_cookies(
                [
                    {
                        "name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                        "url": live_server.url,
                    }
                ]
            )
            page = context.new_page()
            page.set_default_timeout(30_000)
            return page

        try:
            yield make
        finally:
            browser.close()
