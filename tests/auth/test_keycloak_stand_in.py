"""The stand-in speaks Keycloak's protocol as python-keycloak calls it, and its tokens
have the shape of real Keycloak 25 tokens (tests/fixtures/keycloak)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from tests.auth.conftest import payload_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keycloak"
REAL = json.loads((FIXTURES / "osss-kc25-decoded-tokens.json").read_text(encoding="utf-8"))
REAL_WELL_KNOWN = json.loads(
    (FIXTURES / "wellknown-gwdg-academiccloud.json").read_text(encoding="utf-8")
)


def header_of(token: str) -> dict:
    part = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


@pytest.fixture
def oidc(keycloak_stand_in):
    return KeycloakOpenID(
        server_url=keycloak_stand_in.base_url + "/",
        realm_name="mlops",
        client_id="portal",
        client_secret_key=keycloak_stand_in.client_secret,
    )


@pytest.fixture
def dave_tokens(oidc):
    return oidc.token("dave", "demo-dave")


@pytest.mark.parametrize("kind", ["access_token", "refresh_token", "id_token"])
def test_its_tokens_have_the_claims_and_header_of_real_keycloak_25_tokens(dave_tokens, kind):
    real = REAL[kind]
    token = dave_tokens[kind]
    assert set(real["header"]) <= set(header_of(token))
    assert header_of(token)["alg"] == real["header"]["alg"]
    ours = payload_of(token)
    assert set(real["payload"]) <= set(ours), set(real["payload"]) - set(ours)
    assert ours["typ"] == real["payload"]["typ"]
    for claim in ("realm_access", "resource_access"):
        if claim in real["payload"]:
            assert isinstance(ours[claim], dict)


def test_refresh_tokens_name_the_realm_as_audience_like_keycloaks(dave_tokens, keycloak_stand_in):
    assert payload_of(dave_tokens["refresh_token"])["aud"] == keycloak_stand_in.issuer


def test_its_discovery_document_is_the_real_one_moved_to_its_address(oidc, keycloak_stand_in):
    document = oidc.well_known()
    assert set(document) == set(REAL_WELL_KNOWN)
    assert document["issuer"] == keycloak_stand_in.issuer
    assert document["jwks_uri"] == f"{keycloak_stand_in.issuer}/protocol/openid-connect/certs"


def test_python_keycloak_verifies_its_tokens_with_its_keys(oidc, dave_tokens):
    assert oidc.public_key().startswith("MII")
    claims = oidc.decode_token(dave_tokens["access_token"])
    assert claims["resource_access"]["portal"]["roles"] == ["portal-admin"]
    assert claims["groups"] == ["mlops"]


def test_userinfo_introspection_refresh_and_logout(oidc, dave_tokens):
    assert oidc.userinfo(dave_tokens["access_token"])["preferred_username"] == "dave"
    assert oidc.introspect(dave_tokens["access_token"])["active"] is True
    refreshed = oidc.refresh_token(dave_tokens["refresh_token"])
    assert refreshed["access_token"] != dave_tokens["access_token"]
    assert oidc.logout(refreshed["refresh_token"]) == {}
    assert oidc.introspect(dave_tokens["access_token"])["active"] is False
    with pytest.raises(KeycloakPostError) as refused:
        oidc.refresh_token(refreshed["refresh_token"])
    assert refused.value.response_code == 400


def test_wrong_passwords_and_client_secrets_are_refused(oidc, keycloak_stand_in):
    with pytest.raises(KeycloakAuthenticationError):
        oidc.token("dave", "demo-alice")
    stranger = KeycloakOpenID(
        server_url=keycloak_stand_in.base_url + "/",
        realm_name="mlops",
        client_id="portal",
        client_secret_key="guess",
    )
    with pytest.raises(KeycloakAuthenticationError):
        stranger.token("dave", "demo-dave")


def test_a_disabled_user_can_no_longer_refresh(oidc, keycloak_stand_in, dave_tokens):
    keycloak_stand_in.disable_user("dave")
    with pytest.raises(KeycloakPostError):
        oidc.refresh_token(dave_tokens["refresh_token"])


# --- what the real Keycloak 26.4 showed (tests/auth/test_real_keycloak.py) -----------


def test_without_openid_in_the_scope_there_is_no_id_token(oidc):
    tokens = oidc.token("carol", "demo-carol", scope="profile")
    assert "id_token" not in tokens
    assert tokens["scope"] == "profile email"
    assert "id_token" in oidc.token("carol", "demo-carol", scope="openid")


def test_access_tokens_name_the_portal_and_account_as_audiences(dave_tokens):
    claims = payload_of(dave_tokens["access_token"])
    assert claims["aud"] == ["portal", "account"]
    assert claims["allowed-origins"] == ["http://127.0.0.1:8000", "http://localhost:8000"]


def _code(keycloak_stand_in, challenge: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    import requests

    keycloak_stand_in.allow_redirect_prefix("http://testserver")
    keycloak_stand_in.auto_login("carol")
    answer = requests.get(
        f"{keycloak_stand_in.issuer}/protocol/openid-connect/auth",
        params={
            "client_id": "portal",
            "response_type": "code",
            "redirect_uri": "http://testserver/cb",
            "scope": "openid",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
        allow_redirects=False,
        timeout=10,
    )
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


@pytest.mark.parametrize(
    ("verifier", "description"),
    [
        (None, "PKCE code verifier not specified"),
        ("abc", "PKCE verification failed: Invalid code verifier"),
        ("a" * 43 + "!", "PKCE verification failed: Invalid code verifier"),
        ("b" * 43, "PKCE verification failed: Code mismatch"),
    ],
)
def test_code_verifiers_follow_keycloaks_rules(keycloak_stand_in, oidc, verifier, description):
    import hashlib

    from keycloak.exceptions import KeycloakPostError

    good = "a" * 43
    challenge = base64.urlsafe_b64encode(hashlib.sha256(good.encode()).digest()).rstrip(b"=")
    code = _code(keycloak_stand_in, challenge.decode())
    kwargs = {"code_verifier": verifier} if verifier is not None else {}
    with pytest.raises(KeycloakPostError) as refused:
        oidc.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri="http://testserver/cb",
            **kwargs,
        )
    body = json.loads(refused.value.response_body)
    assert body == {"error": "invalid_grant", "error_description": description}
    assert "access_token" in oidc.token(
        grant_type="authorization_code",
        code=_code(keycloak_stand_in, challenge.decode()),
        redirect_uri="http://testserver/cb",
        code_verifier=good,
    )


@pytest.mark.parametrize("status", [502, 503, 504, 429])
def test_it_can_fail_like_a_proxy_in_front_of_keycloak(keycloak_stand_in, oidc, status):
    from keycloak.exceptions import KeycloakError

    keycloak_stand_in.fail(status, only="/token")
    with pytest.raises(KeycloakError) as failed:
        oidc.token("carol", "demo-carol")
    assert failed.value.response_code == status
    assert oidc.well_known()["issuer"] == keycloak_stand_in.issuer  # only /token fails
    keycloak_stand_in.heal()
    assert "access_token" in oidc.token("carol", "demo-carol")
