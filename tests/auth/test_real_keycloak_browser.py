"""A person in Chromium against the real Keycloak and a live portal: types into
Keycloak's own login page, is signed out of the portal when an administrator ends
their Keycloak session (Keycloak itself posts the back-channel logout to the
portal), and signs out through Keycloak's logout endpoint."""

from __future__ import annotations

import os
import time

import pytest
from django.contrib.auth import get_user_model

from portal.models import AuditEvent, OidcSession
from tests.auth.conftest import REAL_TIMEOUT
from tests.auth.real_keycloak import PASSWORDS
from tests.conftest import launch_chromium
from tests.stand_ins.keycloak import portal_using

# Playwright's sync API runs an event loop in this thread; the ORM calls below are
# ordinary blocking calls between its steps.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_portal(keycloak_server, live_server):
    keycloak_server.allow_portal(live_server.url)
    with portal_using(keycloak_server, timeout=REAL_TIMEOUT):
        yield live_server


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def sign_in_at_keycloak(page, keycloak_server, username: str) -> None:
    assert page.url.startswith(f"{keycloak_server.issuer}/protocol/openid-connect/auth")
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("#kc-login")


def test_bob_signs_in_at_keycloak_and_is_signed_out_by_keycloaks_back_channel_logout(
    keycloak_server, live_portal, page, monkeypatch
):
    from portal.auth import views

    calls = []
    real_end = views.oidc_sessions_end

    def recording_end(**kwargs):
        calls.append(kwargs)
        return real_end(**kwargs)

    monkeypatch.setattr(views, "oidc_sessions_end", recording_end)
    # Keycloak 26.4's "sign out user" posts a logout token for one of the user's
    # sessions only (it ends them all): start from none.
    keycloak_server.admin().user_logout(keycloak_server.user_id("bob"))
    home = f"{live_portal.url}/"
    page.goto(home)
    sign_in_at_keycloak(page, keycloak_server, "bob")
    page.wait_for_url(home)
    assert page.is_visible(".site-user")
    bob = get_user_model().objects.get(username="bob")
    assert set(bob.groups.values_list("name", flat=True)) == {"portal-approver"}
    assert OidcSession.objects.filter(user=bob).count() == 1

    # An administrator ends bob's sessions; Keycloak tells the portal itself.
    admin = keycloak_server.admin()
    backchannel = admin.get_client(admin.get_client_id("portal"))["attributes"]
    assert backchannel["backchannel.logout.url"].startswith(live_portal.url)
    admin.user_logout(keycloak_server.user_id("bob"))
    deadline = time.monotonic() + 10
    while OidcSession.objects.filter(user=bob).exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not OidcSession.objects.filter(user=bob).exists(), (
        calls,
        list(AuditEvent.objects.filter(verb="auth.login_failed").values_list("after", flat=True)),
    )
    ended = AuditEvent.objects.filter(verb="auth.logout", actor=bob).get()
    assert ended.after["method"] == "backchannel"
    page.goto(home)
    assert page.url.startswith(f"{keycloak_server.issuer}/protocol/openid-connect/auth")
    assert page.is_visible("#kc-login")


def test_alice_signs_out_of_the_portal_and_of_keycloak(keycloak_server, live_portal, page):
    home = f"{live_portal.url}/"
    page.goto(home)
    sign_in_at_keycloak(page, keycloak_server, "alice")
    page.wait_for_url(home)
    page.click(".site-user form[action='/accounts/logout/'] button")
    page.wait_for_url(f"{live_portal.url}/accounts/logged-out/")
    assert not OidcSession.objects.exists()
    # Keycloak's own session is gone too: the next visit meets its login form.
    page.goto(home)
    assert page.url.startswith(f"{keycloak_server.issuer}/protocol/openid-connect/auth")
    assert page.is_visible("#kc-login")
