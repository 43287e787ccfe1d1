"""End to end in Chromium: bob signs in through Keycloak's login form, approves a
procedure version (an approver-only action), signs out, and both the portal's and
Keycloak's sessions are gone."""

from __future__ import annotations

import os

import pytest
from django.contrib.sessions.models import Session

from portal.models import AuditEvent, OidcSession
from tests.conftest import launch_chromium

# Playwright's sync API runs an event loop in this thread; the ORM calls below are
# ordinary blocking calls between its steps.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def version_in_review(alice):
    from procedures import services
    from procedures.models import Category

    category, _created = Category.objects.get_or_create(
        slug="dataset-versioning", defaults={"name": "Dataset versioning"}
    )
    procedure = services.procedure_create(
        actor=alice,
        title="GPU node drain",
        slug="gpu-node-drain",
        category=category,
        body="## Purpose\n\nDrain a GPU node before a driver upgrade.\n",
    )
    return services.version_submit(actor=alice, version=procedure.versions.open().get())


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def bob_sessions(bob_id: int) -> list[str]:
    return [
        s.session_key
        for s in Session.objects.all()
        if str(s.get_decoded().get("_auth_user_id")) == str(bob_id)
    ]


def test_bob_signs_in_with_keycloak_approves_and_signs_out_everywhere(
    keycloak, live_server, browser_page, version_in_review
):
    from procedures.models import Review

    keycloak.allow_redirect_prefix(live_server.url)
    keycloak.backchannel_url = f"{live_server.url}/accounts/oidc/backchannel-logout"
    page = browser_page
    version_url = (
        f"{live_server.url}/procedures/gpu-node-drain/"
        f"v{version_in_review.major}.{version_in_review.minor}/"
    )

    page.goto(version_url)
    assert page.url.startswith(f"{keycloak.issuer}/protocol/openid-connect/auth")
    page.fill("#username", "bob")
    page.fill("#password", "demo-bob")
    page.click("#kc-login")
    page.wait_for_url(version_url)

    page.click("#review button[value=approve]")
    page.wait_for_url(version_url)
    review = Review.objects.get(version=version_in_review)
    assert review.reviewer.username == "bob"
    assert review.content_sha256 == version_in_review.content_sha256
    bob_id = review.reviewer_id
    assert len(bob_sessions(bob_id)) == 1
    assert len(keycloak.sessions_of("bob")) == 1

    page.click(".site-user form[action='/accounts/logout/'] button")
    page.wait_for_url(f"{live_server.url}/accounts/logged-out/")
    assert bob_sessions(bob_id) == []
    assert not OidcSession.objects.filter(user_id=bob_id).exists()
    assert keycloak.sessions_of("bob") == []
    verbs = list(
        AuditEvent.objects.filter(actor_id=bob_id, verb__startswith="auth.")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == ["auth.user_created", "auth.login", "auth.logout"]

    # Signed out of Keycloak too: the next visit meets Keycloak's login form again.
    page.goto(version_url)
    assert page.url.startswith(f"{keycloak.issuer}/protocol/openid-connect/auth")
    assert page.is_visible("#kc-login")
