"""Logout tokens as Keycloak versions send them: with or without sid, with or without
exp (real samples in tests/fixtures/keycloak), each jti accepted once."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from portal.models import AuditEvent
from tests.auth.conftest import keycloak_sign_in, payload_of
from tests.auth.test_keycloak_stand_in import header_of

pytestmark = pytest.mark.urls("tests.auth.probe_urls")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keycloak"
PAGE = "/probe-page/"


def real(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


KC26 = real("kc26-logout-token.decoded.json")["payload"]  # this realm, Keycloak 26.4
UNIPORT = real("uniport-gateway-kc-logout-token.decoded.json")["payload"]  # has exp
HELSINKI = real("helsinki-yjdh-logout-token-claims.json")  # older Keycloak: no exp


def post(client, token: str):
    return client.post("/accounts/oidc/backchannel-logout", {"logout_token": token})


def claims_like(sample: dict, keycloak, sid: str, sub: str) -> dict:
    """A real sample's claims, re-addressed to this realm, session and time."""
    now = int(time.time())
    claims = {**sample, "iss": keycloak.issuer, "aud": "portal", "sid": sid, "sub": sub}
    claims["jti"] = str(uuid.uuid4())
    claims["iat"] = now
    if "exp" in sample:
        claims["exp"] = now + (sample["exp"] - sample["iat"])
    return claims


@pytest.fixture
def bob(keycloak, client):
    keycloak_sign_in(client, keycloak, "bob")
    [session] = keycloak.sessions_of("bob")
    return client, session.sid, keycloak.users["bob"]["id"]


def test_the_stand_in_sends_what_keycloak_26_sends(keycloak, bob):
    _client, sid, _sub = bob
    token = keycloak.end_session(sid)
    assert header_of(token)["typ"] == "logout+jwt"
    ours = payload_of(token)
    assert set(ours) == set(KC26)
    assert ours["exp"] - ours["iat"] == KC26["exp"] - KC26["iat"] == 120
    assert isinstance(ours["aud"], str)


@pytest.mark.parametrize("sample", [KC26, UNIPORT, HELSINKI], ids=["kc26", "exp", "no-exp"])
@pytest.mark.parametrize("with_sid", [True, False], ids=["sid", "sub-only"])
def test_real_logout_token_shapes_end_the_session(keycloak, bob, client_for, sample, with_sid):
    client, sid, sub = bob
    claims = claims_like(sample, keycloak, sid, sub)
    if not with_sid:
        claims.pop("sid")
    response = post(client_for(None), keycloak.sign(claims))
    assert response.status_code == 200, response.content
    assert response.json() == {"ended": 1}
    assert client.get(PAGE).status_code == 302


def test_a_replayed_logout_token_is_refused(keycloak, bob, client_for):
    _client, sid, _sub = bob
    token = keycloak.end_session(sid)
    assert post(client_for(None), token).json() == {"ended": 1}
    again = post(client_for(None), token)
    assert again.status_code == 400
    assert again.json()["code"] == "token_replayed"
    assert AuditEvent.objects.filter(after__reason__startswith="token_replayed").count() == 1


def test_a_logout_token_without_jti_is_refused(keycloak, bob, client_for):
    client, sid, sub = bob
    claims = claims_like(KC26, keycloak, sid, sub)
    claims.pop("jti")
    assert post(client_for(None), keycloak.sign(claims)).json()["code"] == "token_invalid_claims"
    assert client.get(PAGE).status_code == 200


def test_an_old_logout_token_without_exp_is_refused(keycloak, bob, client_for):
    client, sid, sub = bob
    claims = {**claims_like(HELSINKI, keycloak, sid, sub), "iat": int(time.time()) - 3600}
    assert post(client_for(None), keycloak.sign(claims)).json()["code"] == "token_expired"
    assert client.get(PAGE).status_code == 200
