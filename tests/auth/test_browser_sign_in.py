"""Signing in through Keycloak with the authorization code flow (PKCE, state, nonce),
and who the portal then thinks the person is."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model

from portal.auth.services import keycloak_groups_of
from portal.auth.session import SESSION_KEY
from portal.auth.tokens import TokenError, id_token_verify
from portal.models import AuditEvent, OidcIdentity, OidcSession
from tests.auth.conftest import keycloak_sign_in, payload_of

User = get_user_model()


def test_the_login_page_sends_people_to_keycloak(keycloak, client):
    response = client.get("/accounts/login/", {"next": "/audit/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/oidc/login/?next=%2Faudit%2F"


def test_without_keycloak_the_login_page_is_djangos_own(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_the_authorization_request_carries_pkce_state_and_nonce(keycloak, client):
    response = client.get("/accounts/oidc/login/")
    url = urlsplit(response["Location"])
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}{url.path}" == (
        f"{keycloak.issuer}/protocol/openid-connect/auth"
    )
    assert params["client_id"] == "portal"
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == "http://testserver/accounts/oidc/callback/"
    assert params["code_challenge_method"] == "S256"
    assert len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["state"] != params["nonce"]
    assert set(params["scope"].split()) == {"openid", "profile", "email"}


def test_bob_signs_in_and_becomes_an_approver(keycloak, client):
    response = keycloak_sign_in(client, keycloak, "bob", next_url="/audit/")
    assert response.status_code == 302
    assert response["Location"] == "/audit/"
    bob = User.objects.get(username="bob")
    assert sorted(bob.groups.values_list("name", flat=True)) == ["portal-approver"]
    assert bob.email == "bob@example.org" and bob.get_full_name() == "Bob Approver"
    assert not bob.has_usable_password()
    identity = OidcIdentity.objects.get(user=bob)
    assert identity.issuer == keycloak.issuer
    assert identity.subject == keycloak.users["bob"]["id"]
    assert keycloak_groups_of(bob) == ["leads"]
    [kc_session] = keycloak.sessions_of("bob")
    mapping = OidcSession.objects.get(user=bob)
    assert mapping.sid == kc_session.sid
    assert mapping.session_key == client.session.session_key
    assert client.session[SESSION_KEY]["sid"] == kc_session.sid
    assert "access_token" not in client.session[SESSION_KEY]
    login = AuditEvent.objects.get(verb="auth.login")
    assert login.actor == bob and login.after["method"] == "keycloak"


def test_an_unsafe_next_is_ignored(keycloak, client):
    response = keycloak_sign_in(client, keycloak, "carol", next_url="https://evil.example/")
    assert response["Location"] == "/"


def test_users_are_matched_by_subject_and_their_profile_follows_keycloak(keycloak, client):
    keycloak_sign_in(client, keycloak, "alice")
    first = User.objects.get(username="alice")
    keycloak.users["alice"].update(
        username="alice.w", email="alice.w@example.org", lastName="Wonder"
    )
    keycloak.users["alice.w"] = keycloak.users["alice"]
    client.logout()
    keycloak_sign_in(client, keycloak, "alice.w")
    again = User.objects.get(pk=first.pk)
    assert (again.username, again.email, again.last_name) == (
        "alice.w",
        "alice.w@example.org",
        "Wonder",
    )
    assert User.objects.count() == 1


def test_a_local_account_with_the_same_name_is_not_taken_over(keycloak, client, bob):
    keycloak_sign_in(client, keycloak, "bob")
    signed_in = User.objects.get(oidc_identity__subject=keycloak.users["bob"]["id"])
    assert signed_in.pk != bob.pk
    assert signed_in.username.startswith("bob-")
    bob.refresh_from_db()
    assert bob.has_usable_password()


def test_a_role_removed_in_keycloak_is_removed_at_the_next_login(keycloak, client):
    keycloak_sign_in(client, keycloak, "dave")
    dave = User.objects.get(username="dave")
    assert set(dave.groups.values_list("name", flat=True)) == {"portal-admin", "portal-editor"}
    keycloak.set_user_roles("dave", client_roles=[])
    client.logout()
    keycloak_sign_in(client, keycloak, "dave")
    assert set(dave.groups.values_list("name", flat=True)) == {"portal-editor"}
    change = AuditEvent.objects.get(verb="auth.roles_changed")
    assert change.before == {"roles": ["portal-admin", "portal-editor"]}


def test_other_django_groups_survive_the_role_sync(keycloak, client):
    from django.contrib.auth.models import Group

    keycloak_sign_in(client, keycloak, "carol")
    carol = User.objects.get(username="carol")
    carol.groups.add(Group.objects.create(name="newsletter"))
    client.logout()
    keycloak_sign_in(client, keycloak, "carol")
    assert sorted(carol.groups.values_list("name", flat=True)) == ["newsletter", "portal-viewer"]


def test_a_callback_with_an_unknown_state_is_refused_and_audited(keycloak, client):
    response = client.get("/accounts/oidc/callback/", {"state": "forged", "code": "x"})
    assert response.status_code == 400
    assert not client.session.get(SESSION_KEY)
    assert AuditEvent.objects.get(verb="auth.login_failed").after["reason"] == (
        "unknown or expired state"
    )


def test_a_callback_cannot_be_replayed(keycloak, client):
    keycloak.allow_redirect_prefix("http://testserver")
    keycloak.auto_login("carol")
    at_keycloak = requests.get(
        client.get("/accounts/oidc/login/")["Location"], allow_redirects=False, timeout=10
    )
    callback = urlsplit(at_keycloak.headers["Location"])
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302
    client.logout()
    assert client.get(f"{callback.path}?{callback.query}").status_code == 400


def test_keycloak_refusing_the_sign_in_is_audited(keycloak, client):
    start = client.get("/accounts/oidc/login/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(
        "/accounts/oidc/callback/",
        {"state": state, "error": "access_denied", "error_description": "User cancelled"},
    )
    assert response.status_code == 401
    assert "access_denied" in AuditEvent.objects.get(verb="auth.login_failed").after["reason"]


def test_a_code_without_its_pkce_verifier_is_refused_by_keycloak(keycloak):
    keycloak.allow_redirect_prefix("http://testserver")
    keycloak.auto_login("carol")
    auth = requests.get(
        f"{keycloak.issuer}/protocol/openid-connect/auth",
        params={
            "client_id": "portal",
            "response_type": "code",
            "redirect_uri": "http://testserver/cb",
            "state": "s",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=10,
    )
    code = parse_qs(urlsplit(auth.headers["Location"]).query)["code"][0]
    token = requests.post(
        f"{keycloak.issuer}/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://testserver/cb",
            "client_id": "portal",
            "client_secret": keycloak.client_secret,
            "code_verifier": "wrong-verifier",
        },
        timeout=10,
    )
    assert token.status_code == 400 and token.json()["error"] == "invalid_grant"


def test_an_id_token_with_another_nonce_is_refused(keycloak):
    id_token = keycloak.password_grant("carol")["id_token"]
    signed = keycloak.sign(dict(payload_of(id_token), nonce="theirs"))
    with pytest.raises(TokenError) as refused:
        id_token_verify(signed, nonce="ours")
    assert refused.value.code == "token_nonce_mismatch"
    assert id_token_verify(signed, nonce="theirs")["nonce"] == "theirs"


def test_an_id_token_for_another_client_is_refused(keycloak):
    claims = dict(payload_of(keycloak.password_grant("carol")["id_token"]), aud="grafana")
    with pytest.raises(TokenError) as refused:
        id_token_verify(keycloak.sign(claims), nonce=None)
    assert refused.value.code == "token_wrong_audience"


def test_an_expired_id_token_is_refused(keycloak):
    claims = payload_of(keycloak.password_grant("carol")["id_token"])
    claims["exp"] = int(time.time()) - 3600
    with pytest.raises(TokenError) as refused:
        id_token_verify(keycloak.sign(claims), nonce=None)
    assert refused.value.code == "token_expired"


def test_a_person_disabled_in_the_portal_cannot_sign_in(keycloak, client):
    keycloak_sign_in(client, keycloak, "carol")
    User.objects.filter(username="carol").update(is_active=False)
    client.logout()
    response = keycloak_sign_in(client, keycloak, "carol")
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_an_answer_naming_another_issuer_is_refused(keycloak, client):
    start = client.get("/accounts/oidc/login/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(
        "/accounts/oidc/callback/",
        {"state": state, "code": "x", "iss": "https://attacker.example/realms/mlops"},
    )
    assert response.status_code == 401
    assert AuditEvent.objects.get(verb="auth.login_failed").after["reason"] == (
        "response from another issuer"
    )
