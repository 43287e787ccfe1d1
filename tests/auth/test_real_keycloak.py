"""Single sign-on against a real Keycloak (scripts/keycloak.sh, the realm compose
imports): sign-in through Keycloak's own login form, roles, refresh, sign-out,
back-channel logout sent by Keycloak, bearer tokens and key rotation."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model

from portal.auth.session import SESSION_KEY
from portal.auth.tokens import logout_token_verify
from portal.models import AuditEvent, OidcIdentity, OidcSession
from tests.auth.conftest import payload_of
from tests.auth.real_keycloak import login_form_submit, sign_in

pytestmark = pytest.mark.urls("tests.auth.probe_urls")
PAGE = "/probe-page/"
PROBE = "/api/v1/probe/"


def expire_access_token(client) -> None:
    session = client.session
    data = session[SESSION_KEY]
    data["access_expires_at"] = int(time.time())
    session[SESSION_KEY] = data
    session.save()


def groups_of(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    return set(user.groups.values_list("name", flat=True))


def test_bob_signs_in_through_keycloaks_login_form_and_his_group_gives_the_role(
    real_keycloak, client
):
    response = sign_in(client, "bob", next_url=PAGE)
    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert client.get(PAGE).content == b"bob"
    # /leads carries the realm role portal-approver; Keycloak sends it at sign-in.
    assert groups_of("bob") == {"portal-approver"}
    identity = OidcIdentity.objects.get(user__username="bob")
    assert identity.issuer == real_keycloak.issuer
    assert identity.groups == ["leads"]
    assert identity.subject == real_keycloak.user_id("bob")


def test_a_wrong_password_stays_on_keycloaks_login_page(real_keycloak, client):
    response = client.get("/accounts/oidc/login/")
    answer = login_form_submit(requests.Session(), response["Location"], "bob", "not-his")
    assert answer.status_code == 200
    assert "Invalid username or password" in answer.text


def test_a_refresh_renews_the_tokens(real_keycloak, client):
    sign_in(client, "alice")
    before = client.session[SESSION_KEY]
    expire_access_token(client)
    assert client.get(PAGE).status_code == 200
    after = client.session[SESSION_KEY]
    assert after["refresh_token"] != before["refresh_token"]
    assert after["access_expires_at"] > time.time() + 200
    assert after["sid"] == before["sid"]


def test_a_realm_role_taken_away_in_keycloak_is_gone_at_the_next_refresh(real_keycloak, client):
    admin = real_keycloak.admin()
    carol = admin.get_user_id("carol")
    approver = admin.get_realm_role("portal-approver")
    admin.assign_realm_roles(carol, [approver])
    try:
        sign_in(client, "carol")
        assert groups_of("carol") == {"portal-viewer", "portal-approver"}
        admin.delete_realm_roles_of_user(carol, [approver])
        assert client.get(PAGE).status_code == 200
        assert groups_of("carol") == {"portal-viewer", "portal-approver"}  # token still fresh
        expire_access_token(client)
        assert client.get(PAGE).status_code == 200
        assert groups_of("carol") == {"portal-viewer"}
        changed = AuditEvent.objects.get(verb="auth.roles_changed")
        assert changed.before == {"roles": ["portal-approver", "portal-viewer"]}
    finally:
        admin.delete_realm_roles_of_user(carol, [approver])


def test_a_session_ended_by_an_admin_ends_at_the_next_refresh(real_keycloak, client):
    sign_in(client, "alice")
    real_keycloak.admin().user_logout(real_keycloak.user_id("alice"))
    expire_access_token(client)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    ended = AuditEvent.objects.get(verb="auth.logout")
    assert ended.after["method"] == "session_ended"
    assert "invalid_grant" in ended.after["reason"]


def test_a_user_disabled_in_keycloak_is_signed_out_at_the_next_refresh(real_keycloak, client):
    admin = real_keycloak.admin()
    alice = admin.get_user_id("alice")
    sign_in(client, "alice")
    admin.update_user(alice, {"enabled": False})
    try:
        expire_access_token(client)
        assert client.get(PAGE).status_code == 302
        assert not OidcSession.objects.exists()
    finally:
        admin.update_user(alice, {"enabled": True})


def test_sign_out_ends_the_keycloak_session_and_sends_the_browser_to_keycloaks_logout(
    real_keycloak, client
):
    http = requests.Session()
    sign_in(client, "bob", http=http)
    sid = client.session[SESSION_KEY]["sid"]
    assert sid in {s["id"] for s in real_keycloak.sessions("bob")}
    response = client.post("/accounts/logout/")
    assert response.status_code == 200
    end_session = response.context["end_session_url"]
    assert end_session.startswith(f"{real_keycloak.issuer}/protocol/openid-connect/logout?")
    assert "id_token_hint" in parse_qs(urlsplit(end_session).query)
    # The refresh-token logout already ended the Keycloak session...
    assert sid not in {s["id"] for s in real_keycloak.sessions("bob")}
    # ...and Keycloak accepts the browser's visit and sends it back to the portal.
    answer = http.get(end_session, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "http://testserver/accounts/logged-out/"


class _LogoutCatcher(BaseHTTPRequestHandler):
    tokens: list[str] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        self.tokens.append(parse_qs(body)["logout_token"][0])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass


def test_keycloaks_own_back_channel_logout_token_ends_the_portal_session(real_keycloak, client):
    """Keycloak posts its logout token to the client's back-channel URL when an admin
    signs a user out; caught on the way, the token is what the portal accepts."""
    catcher = HTTPServer(("127.0.0.1", 0), _LogoutCatcher)
    _LogoutCatcher.tokens = []
    threading.Thread(target=catcher.handle_request, daemon=True).start()
    admin = real_keycloak.admin()
    # One logout token per "sign out user", for one session only: start from none.
    admin.user_logout(real_keycloak.user_id("dave"))
    uuid = admin.get_client_id("portal")
    client_rep = admin.get_client(uuid)
    original = client_rep["attributes"]["backchannel.logout.url"]
    catch_url = f"http://127.0.0.1:{catcher.server_port}/accounts/oidc/backchannel-logout"
    admin.update_client(
        uuid,
        {
            **client_rep,
            "attributes": {**client_rep["attributes"], "backchannel.logout.url": catch_url},
        },
    )
    try:
        sign_in(client, "dave")
        sid = client.session[SESSION_KEY]["sid"]
        admin.user_logout(real_keycloak.user_id("dave"))
    finally:
        admin.update_client(uuid, client_rep | {"attributes": client_rep["attributes"]})
        catcher.server_close()
    assert original
    [token] = _LogoutCatcher.tokens
    claims = logout_token_verify(token)
    assert claims["sid"] == sid
    assert claims["aud"] == "portal"
    assert claims["typ"] == "Logout"
    assert "nonce" not in claims
    assert client.get(PAGE).status_code == 200
    response = client.post("/accounts/oidc/backchannel-logout", {"logout_token": token})
    assert response.json() == {"ended": 1}
    assert client.get(PAGE).status_code == 302
    # The same token a second time is a replay.
    again = client.post("/accounts/oidc/backchannel-logout", {"logout_token": token})
    assert again.status_code == 400


def test_a_bearer_token_from_keycloaks_token_endpoint_opens_the_api(real_keycloak, client):
    tokens = real_keycloak.password_grant("carol", scope="openid")
    claims = payload_of(tokens["access_token"])
    assert claims["aud"] == ["portal", "account"]
    response = client.get(PROBE, HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert response.status_code == 200, response.content
    assert response.json() == {"username": "carol", "roles": ["portal-viewer"]}
    # An ID token of the same sign-in is not an access token.
    refused = client.get(PROBE, HTTP_AUTHORIZATION=f"Bearer {tokens['id_token']}")
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_wrong_type"


def test_a_new_signing_key_is_accepted_without_restart_and_old_tokens_stay_valid(
    real_keycloak, client
):
    old = real_keycloak.password_grant("bob")["access_token"]
    old_kid = _kid(old)
    assert client.get(PROBE, HTTP_AUTHORIZATION=f"Bearer {old}").status_code == 200
    admin = real_keycloak.admin()
    realm_id = admin.get_realm("mlops")["id"]
    component = admin.create_component(
        {
            "name": "rotated-rsa",
            "providerId": "rsa-generated",
            "providerType": "org.keycloak.keys.KeyProvider",
            "parentId": realm_id,
            "config": {"priority": ["500"], "enabled": ["true"], "active": ["true"]},
        }
    )
    try:
        new = real_keycloak.password_grant("bob")["access_token"]
        assert _kid(new) != old_kid
        # The new kid is not in the cached JWKS: the portal fetches the keys once.
        assert client.get(PROBE, HTTP_AUTHORIZATION=f"Bearer {new}").status_code == 200
        assert client.get(PROBE, HTTP_AUTHORIZATION=f"Bearer {old}").status_code == 200
    finally:
        admin.delete_component(component)


def _kid(token: str) -> str:
    import base64
    import json

    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


def test_break_glass_works_beside_keycloak(real_keycloak, client):
    get_user_model().objects.create_superuser("root", "root@example.org", "break-glass-pw")
    refused = client.post("/accounts/login/", {"username": "root", "password": "break-glass-pw"})
    assert refused.status_code == 405  # the login page only sends people to Keycloak
    response = client.post(
        "/accounts/break-glass/", {"username": "root", "password": "break-glass-pw"}
    )
    assert response.status_code == 302
    assert client.get(PAGE).content == b"root"
