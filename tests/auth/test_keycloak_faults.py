"""The fast suite's copy of tests/auth/test_keycloak_unavailable.py: the stand-in fails
as a proxy in front of a restarting Keycloak does, and nobody is signed out."""

from __future__ import annotations

import time

import pytest

from portal.auth.session import SESSION_KEY
from portal.models import AuditEvent
from tests.auth.conftest import keycloak_sign_in
from tests.stand_ins.keycloak import portal_using

pytestmark = pytest.mark.urls("tests.auth.probe_urls")
PAGE = "/probe-page/"


@pytest.fixture
def impatient(keycloak_stand_in, db):
    """The portal waits one second for Keycloak; the stand-in's slow answers take two."""
    keycloak_stand_in.slow_seconds = 2
    with portal_using(keycloak_stand_in, timeout=1):
        yield keycloak_stand_in


def expire(client) -> None:
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "access_expires_at": int(time.time())}
    session.save()


@pytest.mark.parametrize("fault", [502, 503, 504, 429, "slow", "close"])
def test_a_failing_refresh_keeps_the_session_and_is_retried_later(impatient, client, fault):
    keycloak_sign_in(client, impatient, "alice")
    impatient.fail(fault, only="/token")
    expire(client)
    assert client.get(PAGE).status_code == 200
    assert client.session[SESSION_KEY]["retry_at"] > time.time()
    assert not AuditEvent.objects.filter(verb="auth.logout").exists()
    impatient.heal()
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "retry_at": 0}
    session.save()
    assert client.get(PAGE).status_code == 200
    assert "retry_at" not in client.session[SESSION_KEY]


def test_an_expired_refresh_token_ends_the_session_even_while_keycloak_is_down(impatient, client):
    keycloak_sign_in(client, impatient, "alice")
    impatient.fail(503)
    session = client.session
    session[SESSION_KEY] = {
        **session[SESSION_KEY],
        "access_expires_at": int(time.time()),
        "refresh_expires_at": int(time.time()) - 1,
    }
    session.save()
    assert client.get(PAGE).status_code == 302


def test_a_client_misconfiguration_is_not_the_persons_sign_out(impatient, client):
    keycloak_sign_in(client, impatient, "alice")
    impatient.client_secret = "rotated-in-keycloak"  # 401 unauthorized_client
    expire(client)
    assert client.get(PAGE).status_code == 200


def test_sign_in_during_a_503_shows_the_unavailable_page(impatient, client):
    impatient.fail(503)
    response = client.get("/accounts/oidc/login/")
    assert response.status_code == 503
    assert b"Single sign-on is unavailable" in response.content
