"""Keycloak unavailable is not a sign-out: through a fault-injecting proxy in front of
the real Keycloak (502/503/504, 429, too slow, connection closed) and with the real
server's JVM frozen. Only Keycloak's "no" ends a session."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import pytest
import requests
from django.core.cache import cache

from portal.auth.client import forget_realm_cache, keycloak_config
from portal.auth.session import SESSION_KEY
from portal.models import AuditEvent
from tests.auth.conftest import REAL_TIMEOUT
from tests.auth.fault_proxy import CLOSE, SLOW, FaultProxy
from tests.auth.real_keycloak import login_form_submit, sign_in
from tests.auth.test_real_keycloak import PAGE, PROBE, expire_access_token
from tests.stand_ins.keycloak import portal_using

pytestmark = pytest.mark.urls("tests.auth.probe_urls")
TOKEN_PATH = "/protocol/openid-connect/token"
FAULTS = [502, 503, 504, 429, SLOW, CLOSE]


class Proxied:
    """The real Keycloak as the portal sees it through the proxy."""

    def __init__(self, server, proxy: FaultProxy):
        self.server, self.proxy = server, proxy
        self.base_url = proxy.base_url
        self.realm_name, self.client_id = server.realm_name, server.client_id
        self.client_secret = server.client_secret


@pytest.fixture
def proxied(keycloak_server, db):
    proxy = FaultProxy(keycloak_server.base_url, slow_seconds=REAL_TIMEOUT + 1).start()
    try:
        with portal_using(Proxied(keycloak_server, proxy), timeout=REAL_TIMEOUT) as target:
            yield target
    finally:
        proxy.heal()
        proxy.stop()


def retry_now(client) -> None:
    session = client.session
    session[SESSION_KEY] = {**session[SESSION_KEY], "retry_at": 0}
    session.save()


@pytest.mark.parametrize("fault", FAULTS)
def test_a_refresh_keycloak_cannot_answer_keeps_the_person_signed_in(
    proxied, client, fault, caplog
):
    proxy = proxied.proxy
    sign_in(client, "alice")
    old_refresh = client.session[SESSION_KEY]["refresh_token"]
    proxy.fail(fault, only=TOKEN_PATH)
    expire_access_token(client)
    with caplog.at_level(logging.WARNING, logger="portal.auth.session"):
        assert client.get(PAGE).status_code == 200
    assert proxy.faults == 1
    assert "Keycloak unavailable while refreshing" in caplog.text
    assert client.session[SESSION_KEY]["retry_at"] > time.time()
    assert not AuditEvent.objects.filter(verb="auth.logout").exists()
    # Not retried on every page while Keycloak is down...
    assert client.get(PAGE).status_code == 200
    assert proxy.faults == 1
    # ...but later, and then the refresh goes through.
    proxy.heal()
    retry_now(client)
    assert client.get(PAGE).status_code == 200
    data = client.session[SESSION_KEY]
    assert data["refresh_token"] != old_refresh
    assert "retry_at" not in data


def test_a_new_sign_in_while_keycloak_is_down_gets_a_page_saying_so(proxied, client):
    forget_realm_cache()
    proxied.proxy.fail(CLOSE)
    response = client.get("/accounts/oidc/login/", {"next": PAGE})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "portal/auth_unavailable.html" in [t.name for t in response.templates]
    assert b"Single sign-on is unavailable" in response.content
    assert b"/accounts/oidc/login/?next=/probe-page/" in response.content


@pytest.mark.parametrize("fault", [502, 429, SLOW])
def test_keycloak_failing_the_code_exchange_gets_the_unavailable_page(proxied, client, fault):
    start = client.get("/accounts/oidc/login/")
    answer = login_form_submit(requests.Session(), start["Location"], "bob")
    callback = urlsplit(answer.headers["Location"])
    proxied.proxy.fail(fault, only=TOKEN_PATH)
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 503
    assert b"Single sign-on is unavailable" in response.content
    assert "_auth_user_id" not in client.session


def test_the_authorize_url_is_built_from_the_cached_discovery_document(proxied, client):
    forget_realm_cache()
    for _ in range(3):
        response = client.get("/accounts/oidc/login/")
        assert response.status_code == 302
        assert response["Location"].startswith(
            f"{proxied.base_url}/realms/mlops/protocol/openid-connect/auth?"
        )
    wellknown = [p for p in proxied.proxy.paths if p.endswith("/openid-configuration")]
    assert len(wellknown) == 1


def test_bearer_tokens_keep_validating_from_the_last_good_keys_while_keycloak_is_down(
    proxied, client
):
    server = proxied.server
    token = server.password_grant("carol", base_url=proxied.base_url)["access_token"]
    assert client.get(PROBE, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    proxied.proxy.fail(CLOSE)
    # The fresh copy of the keys and of discovery has run out; the last good stays.
    prefix = keycloak_config().cache_prefix
    cache.delete_many([f"{prefix}:jwks", f"{prefix}:discovery"])
    response = client.get(PROBE, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    # Asked once, then the last good copy serves for a while: no wait per request.
    asked = proxied.proxy.faults
    assert client.get(PROBE, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    assert proxied.proxy.faults == asked


def test_a_frozen_keycloak_is_not_a_sign_out(real_keycloak, client):
    if real_keycloak.kc_pid is None:
        pytest.skip("freezing needs a Keycloak this test session started")
    sign_in(client, "bob")
    expire_access_token(client)
    real_keycloak.freeze()
    try:
        began = time.monotonic()
        assert client.get(PAGE).status_code == 200
        waited = time.monotonic() - began
    finally:
        real_keycloak.thaw()
    assert waited >= REAL_TIMEOUT
    assert client.session[SESSION_KEY]["retry_at"] > time.time()
    retry_now(client)
    assert client.get(PAGE).status_code == 200
    assert "retry_at" not in client.session[SESSION_KEY]


def test_break_glass_works_while_keycloak_is_down(proxied, client):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", "root@example.org", "break-glass-pw")
    forget_realm_cache()
    proxied.proxy.fail(CLOSE)
    response = client.post(
        "/accounts/break-glass/", {"username": "root", "password": "break-glass-pw"}
    )
    assert response.status_code == 302
    assert client.get(PAGE).content == b"root"
    assert proxied.proxy.faults == 0  # break-glass never asks Keycloak
