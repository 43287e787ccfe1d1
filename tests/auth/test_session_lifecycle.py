"""A Keycloak-backed session: refreshed before its token expires, ended when Keycloak
ends it (refresh refused, back-channel logout), and signing out ends both sides."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import override_settings

from portal.auth.session import SESSION_KEY
from portal.models import AuditEvent, OidcSession
from tests.auth.conftest import keycloak_sign_in, payload_of

pytestmark = pytest.mark.urls("tests.auth.probe_urls")
PAGE = "/probe-page/"


def expire_access_token(client) -> None:
    session = client.session
    data = session[SESSION_KEY]
    data["access_expires_at"] = int(time.time())
    session[SESSION_KEY] = data
    session.save()


@pytest.fixture
def bob_signed_in(keycloak, client):
    keycloak_sign_in(client, keycloak, "bob")
    return client


def refreshes(keycloak) -> int:
    return keycloak.calls("/protocol/openid-connect/token")


def test_a_fresh_token_is_not_refreshed(keycloak, bob_signed_in):
    before = refreshes(keycloak)
    assert bob_signed_in.get(PAGE).status_code == 200
    assert refreshes(keycloak) == before


def test_the_token_is_refreshed_before_it_expires(keycloak, bob_signed_in):
    old_refresh = bob_signed_in.session[SESSION_KEY]["refresh_token"]
    expire_access_token(bob_signed_in)
    before = refreshes(keycloak)
    assert bob_signed_in.get(PAGE).status_code == 200
    assert refreshes(keycloak) == before + 1
    data = bob_signed_in.session[SESSION_KEY]
    assert data["refresh_token"] != old_refresh
    assert data["access_expires_at"] > time.time() + 200


def test_a_role_removed_in_keycloak_goes_at_the_next_refresh(keycloak, client):
    keycloak_sign_in(client, keycloak, "dave")
    assert client.get("/audit/").status_code == 200
    keycloak.set_user_roles("dave", client_roles=[])
    expire_access_token(client)
    assert client.get("/audit/").status_code == 403


def test_the_session_ends_when_keycloak_ended_it(keycloak, bob_signed_in):
    session_key = bob_signed_in.session.session_key
    [kc_session] = keycloak.sessions_of("bob")
    keycloak.end_session(kc_session.sid)
    expire_access_token(bob_signed_in)
    response = bob_signed_in.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not OidcSession.objects.exists()
    ended = AuditEvent.objects.get(verb="auth.logout")
    assert ended.after["method"] == "session_ended"
    assert "Session not active" in ended.after["reason"]


def test_the_session_ends_when_the_user_is_disabled_in_keycloak(keycloak, bob_signed_in):
    keycloak.disable_user("bob")
    expire_access_token(bob_signed_in)
    assert bob_signed_in.get(PAGE).status_code == 302
    assert "_auth_user_id" not in bob_signed_in.session


def test_an_unreachable_keycloak_does_not_end_a_live_session(keycloak, bob_signed_in):
    expire_access_token(bob_signed_in)
    keycloak.stop()
    assert bob_signed_in.get(PAGE).status_code == 200


def test_an_unreachable_keycloak_ends_a_session_whose_refresh_token_expired(
    keycloak, bob_signed_in
):
    session = bob_signed_in.session
    data = session[SESSION_KEY]
    data.update(access_expires_at=int(time.time()), refresh_expires_at=int(time.time()) - 1)
    session[SESSION_KEY] = data
    session.save()
    keycloak.stop()
    assert bob_signed_in.get(PAGE).status_code == 302


def test_signing_out_ends_the_portal_and_the_keycloak_session(keycloak, bob_signed_in):
    session_key = bob_signed_in.session.session_key
    id_token = bob_signed_in.session[SESSION_KEY]["id_token"]
    response = bob_signed_in.post("/accounts/logout/")
    assert response.status_code == 200
    url = urlsplit(response.context["end_session_url"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        f"{keycloak.issuer}/protocol/openid-connect/logout"
    )
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert params == {
        "id_token_hint": id_token,
        "post_logout_redirect_uri": "http://testserver/accounts/logged-out/",
        "client_id": "portal",
    }
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not OidcSession.objects.exists()
    assert keycloak.sessions_of("bob") == []
    assert AuditEvent.objects.get(verb="auth.logout").after["method"] == "keycloak"


def test_signing_out_needs_a_post(keycloak, bob_signed_in):
    assert bob_signed_in.get("/accounts/logout/").status_code == 405
    assert "_auth_user_id" in bob_signed_in.session


def test_back_channel_logout_ends_the_sessions_of_that_sid(keycloak, bob_signed_in, client_for):
    other = client_for(None)
    keycloak_sign_in(other, keycloak, "carol")
    bob_key = bob_signed_in.session.session_key
    [kc_session] = keycloak.sessions_of("bob")
    logout_token = keycloak.end_session(kc_session.sid)
    response = client_for(None).post(
        "/accounts/oidc/backchannel-logout", {"logout_token": logout_token}
    )
    assert response.status_code == 200
    assert response.json() == {"ended": 1}
    assert response["Cache-Control"].startswith("max-age=0")
    assert not Session.objects.filter(session_key=bob_key).exists()
    assert bob_signed_in.get(PAGE).status_code == 302
    assert other.get(PAGE).status_code == 200
    assert AuditEvent.objects.filter(verb="auth.logout", after__method="backchannel").count() == 1


def test_back_channel_logout_by_subject_ends_all_sessions_of_the_person(keycloak, client_for):
    first, second = client_for(None), client_for(None)
    keycloak_sign_in(first, keycloak, "bob")
    keycloak_sign_in(second, keycloak, "bob")
    token = keycloak.end_session(keycloak.sessions_of("bob")[0].sid)
    claims = payload_of(token)
    claims.pop("sid")
    response = client_for(None).post(
        "/accounts/oidc/backchannel-logout", {"logout_token": keycloak.sign(claims)}
    )
    assert response.json() == {"ended": 2}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"aud": "grafana"}, "token_wrong_audience"),
        ({"iss": "http://elsewhere/realms/mlops"}, "token_wrong_issuer"),
        ({"events": {}}, "token_invalid_claims"),
        ({"nonce": "n"}, "token_invalid_claims"),
        ({"typ": "Bearer"}, "token_wrong_type"),
    ],
)
def test_back_channel_logout_refuses_bad_tokens(keycloak, bob_signed_in, client_for, change, code):
    token = keycloak.end_session(keycloak.sessions_of("bob")[0].sid)
    bad = keycloak.sign({**payload_of(token), **change})
    response = client_for(None).post("/accounts/oidc/backchannel-logout", {"logout_token": bad})
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert bob_signed_in.get(PAGE).status_code == 200


def test_back_channel_logout_refuses_a_forged_signature(keycloak, bob_signed_in, client_for):
    token = keycloak.end_session(keycloak.sessions_of("bob")[0].sid)
    head, _body, sig = token.split(".")
    forged = f"{head}.{token.split('.')[1][:-4]}AAAA.{sig}"
    response = client_for(None).post("/accounts/oidc/backchannel-logout", {"logout_token": forged})
    assert response.status_code == 400


def test_back_channel_logout_from_the_stand_in_reaches_a_live_portal(
    keycloak, live_server, client_for, transactional_db
):
    keycloak.backchannel_url = f"{live_server.url}/accounts/oidc/backchannel-logout"
    browser = client_for(None)
    keycloak_sign_in(browser, keycloak, "carol")
    keycloak.end_session(keycloak.sessions_of("carol")[0].sid, notify=True)
    assert not OidcSession.objects.exists()
    assert browser.get(PAGE).status_code == 302


# --- break-glass and local accounts -------------------------------------------------


@pytest.fixture
def root(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", "root@example.org", "root-password")


def test_break_glass_lets_a_superuser_in_and_is_audited(keycloak, client, root):
    response = client.post(
        "/accounts/break-glass/", {"username": "root", "password": "root-password"}
    )
    assert response.status_code == 302
    assert client.get("/audit/").status_code == 200
    event = AuditEvent.objects.get(verb="auth.login")
    assert event.actor == root and event.after["method"] == "break_glass"


def test_break_glass_is_for_superusers_only(keycloak, client, carol):
    response = client.post(
        "/accounts/break-glass/", {"username": "carol", "password": "carol-password"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.get(verb="auth.login_failed")
    assert failed.object_repr == "carol" and failed.after["method"] == "break_glass"


def test_a_wrong_break_glass_password_is_audited(keycloak, client, root):
    client.post("/accounts/break-glass/", {"username": "root", "password": "guess"})
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(verb="auth.login_failed", object_repr="root").exists()


def test_with_keycloak_local_passwords_are_refused_everywhere_else(keycloak, client, root):
    assert client.post(
        "/accounts/login/", {"username": "root", "password": "root-password"}
    ).status_code in (302, 405)
    assert "_auth_user_id" not in client.session
    assert client.login(username="root", password="root-password") is False
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/accounts/login/?next=/admin/"


@override_settings(KEYCLOAK_ENABLED=False)
def test_local_sign_in_and_failures_are_audited_without_keycloak(client, carol):
    client.post("/accounts/login/", {"username": "carol", "password": "wrong"})
    assert AuditEvent.objects.get(verb="auth.login_failed").object_repr == "carol"
    response = client.post("/accounts/login/", {"username": "carol", "password": "carol-password"})
    assert response.status_code == 302
    assert AuditEvent.objects.get(verb="auth.login").after["method"] == "local"
    client.post("/accounts/logout/")
    assert AuditEvent.objects.get(verb="auth.logout").after["method"] == "local"


def test_a_page_permission_denial_is_audited(client_for, carol):
    response = client_for(carol).get("/audit/")
    assert response.status_code == 403
    event = AuditEvent.objects.get(verb="permission.denied")
    assert event.actor == carol and event.object_repr == "GET /audit/"
