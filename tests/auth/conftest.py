import base64
import json
from urllib.parse import urlsplit

import pytest
import requests

from tests.stand_ins.keycloak import KeycloakStandIn, portal_using


@pytest.fixture
def keycloak_stand_in():
    stand_in = KeycloakStandIn().start()
    try:
        yield stand_in
    finally:
        stand_in.stop()


@pytest.fixture
def keycloak(keycloak_stand_in, db):
    """The portal signed in against a running Keycloak stand-in."""
    with portal_using(keycloak_stand_in):
        yield keycloak_stand_in


def keycloak_sign_in(client, keycloak, username: str, *, next_url: str | None = None):
    """Walk the browser's part of the code flow: portal → Keycloak → portal callback.

    Returns the portal's response to the callback.
    """
    keycloak.allow_redirect_prefix("http://testserver")
    keycloak.auto_login(username)
    response = client.get("/accounts/login/", {"next": next_url} if next_url else {})
    assert response.status_code == 302, response.content
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(keycloak.base_url)
    at_keycloak = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert at_keycloak.status_code == 302, at_keycloak.text
    callback = urlsplit(at_keycloak.headers["Location"])
    assert callback.netloc == "testserver"
    return client.get(f"{callback.path}?{callback.query}")


def payload_of(token: str) -> dict:
    """The claims of a JWT, unverified (for building variants of real tokens)."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


# --- the real Keycloak ------------------------------------------------------------

# The portal's timeout towards Keycloak in these tests: long enough for a loaded
# machine, short enough that the "slow Keycloak" cases end quickly.
REAL_TIMEOUT = 8


@pytest.fixture(scope="session")
def keycloak_server():
    """One real Keycloak for the whole test session (scripts/keycloak.sh)."""
    from tests.auth.real_keycloak import cannot_start_reason, start_keycloak
    from tests.conftest import need

    reason = cannot_start_reason()
    need(reason is None, reason or "")
    try:
        server = start_keycloak()
    except (RuntimeError, OSError) as exc:
        need(False, f"Keycloak could not be started: {exc}")
    server.allow_portal("http://testserver")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def real_keycloak(keycloak_server, db):
    """The portal signed in against the real Keycloak."""
    with portal_using(keycloak_server, timeout=REAL_TIMEOUT):
        yield keycloak_server


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Lockouts, rate-limit windows, remembered jtis and the realm's cached keys of one
    test never reach the next (with Redis they would outlive the test process)."""
    from django.core.cache import cache

    cache.clear()
