"""The API accepts Keycloak access tokens verified locally, and refuses every kind of
token that is not a valid access token for this portal, each with a 401 and a reason."""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jwcrypto import jwk
from rest_framework.test import APIClient

from portal.models import AuditEvent, OidcIdentity
from tests.auth.conftest import payload_of

pytestmark = pytest.mark.urls("tests.auth.probe_urls")
PROBE = "/api/v1/probe/"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def call(token: str | None = None, header: str | None = None, method: str = "get"):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    elif token is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return getattr(client, method)(PROBE)


def assert_refused(response, code: str):
    assert response.status_code == 401, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture
def alice_claims(keycloak):
    return payload_of(keycloak.password_grant("alice")["access_token"])


def test_it_accepts_a_keycloak_access_token_and_maps_its_roles(keycloak):
    token = keycloak.password_grant("alice", "demo-alice")["access_token"]
    response = call(token)
    assert response.status_code == 200, response.content
    assert response.json() == {"username": "alice", "roles": ["portal-editor", "portal-viewer"]}
    identity = OidcIdentity.objects.get(subject=payload_of(token)["sub"])
    assert identity.issuer == keycloak.issuer
    assert identity.groups == ["ml-engineers"]


def test_it_takes_client_roles_of_the_portal_client_too(keycloak):
    token = keycloak.password_grant("dave")["access_token"]
    assert payload_of(token)["resource_access"]["portal"]["roles"] == ["portal-admin"]
    assert "portal-admin" in call(token).json()["roles"]


def test_it_rejects_alg_none(keycloak, alice_claims):
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    token = f"{header}.{b64(json.dumps(alice_claims).encode())}."
    assert_refused(call(token), "token_algorithm_not_allowed")


def test_it_rejects_hs256_signed_with_the_realms_public_key(keycloak, alice_claims):
    public_pem = keycloak._active_key().export_to_pem(private_key=False)
    hmac_key = jwk.JWK(kty="oct", k=b64(public_pem), kid=keycloak.active_kid)
    token = keycloak.sign(alice_claims, header={"alg": "HS256"}, key=hmac_key)
    assert_refused(call(token), "token_algorithm_not_allowed")


def test_it_rejects_a_tampered_payload(keycloak, alice_claims):
    token = keycloak.sign(alice_claims)
    header, _payload, signature = token.split(".")
    forged = dict(alice_claims, realm_access={"roles": ["portal-admin"]})
    response = call(f"{header}.{b64(json.dumps(forged).encode())}.{signature}")
    assert_refused(response, "token_bad_signature")


def test_it_rejects_an_unknown_kid_after_fetching_the_keys_once_more(keycloak, alice_claims):
    assert call(keycloak.sign(alice_claims)).status_code == 200
    assert keycloak.calls("/certs") == 1
    stranger = jwk.JWK.generate(kty="RSA", size=2048, kid="not-a-realm-key", alg="RS256")
    token = keycloak.sign(alice_claims, key=stranger)
    assert_refused(call(token), "token_unknown_key")
    assert keycloak.calls("/certs") == 2
    # A flood of made-up kids does not become a flood of requests to Keycloak.
    assert_refused(call(token), "token_unknown_key")
    assert keycloak.calls("/certs") == 2


def test_it_rejects_a_wrong_issuer(keycloak, alice_claims):
    claims = dict(alice_claims, iss="http://127.0.0.1:1/realms/mlops")
    assert_refused(call(keycloak.sign(claims)), "token_wrong_issuer")


def test_it_rejects_a_token_for_another_client(keycloak, alice_claims):
    claims = dict(alice_claims, aud="grafana", azp="grafana")
    assert_refused(call(keycloak.sign(claims)), "token_wrong_audience")


def test_it_accepts_azp_without_an_audience_mapper(keycloak, alice_claims):
    claims = {k: v for k, v in alice_claims.items() if k != "aud"}
    assert call(keycloak.sign(claims)).status_code == 200


def test_it_rejects_an_expired_token(keycloak, alice_claims):
    now = int(time.time())
    claims = dict(alice_claims, iat=now - 900, exp=now - 120)
    assert_refused(call(keycloak.sign(claims)), "token_expired")


def test_it_allows_a_little_clock_skew(keycloak, alice_claims):
    claims = dict(alice_claims, exp=int(time.time()) - 5)
    assert call(keycloak.sign(claims)).status_code == 200


def test_it_rejects_a_token_not_yet_valid(keycloak, alice_claims):
    claims = dict(alice_claims, nbf=int(time.time()) + 600)
    assert_refused(call(keycloak.sign(claims)), "token_not_yet_valid")


def test_it_rejects_keycloaks_refresh_token(keycloak):
    refresh = keycloak.password_grant("alice")["refresh_token"]
    assert_refused(call(refresh), "token_algorithm_not_allowed")  # HS512, as Keycloak signs them


def test_it_rejects_a_refresh_token_even_if_signed_like_an_access_token(keycloak):
    refresh = keycloak.password_grant("alice")["refresh_token"]
    claims = dict(payload_of(refresh), aud="portal")
    assert claims["typ"] == "Refresh"
    assert_refused(call(keycloak.sign(claims)), "token_wrong_type")


def test_it_rejects_an_id_token(keycloak):
    id_token = keycloak.password_grant("alice")["id_token"]
    assert payload_of(id_token)["aud"] == "portal"
    assert_refused(call(id_token), "token_wrong_type")


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Bearer a b", "Bearer not-a-jwt", "Bearer a.b.c", "Bearer ...."]
)
def test_it_rejects_a_malformed_authorization_header(keycloak, header):
    assert_refused(call(header=header), "token_malformed")


def test_anonymous_api_calls_get_401_with_a_bearer_challenge(keycloak):
    response = call()
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="mlops"'


def test_it_audits_every_refused_token(keycloak, alice_claims):
    call(keycloak.sign(dict(alice_claims, iss="http://elsewhere/realms/mlops")))
    event = AuditEvent.objects.get(verb="auth.login_failed")
    assert event.after["method"] == "bearer"
    assert event.after["reason"].startswith("token_wrong_issuer")


def test_it_verifies_tokens_without_asking_keycloak_per_request(keycloak):
    token = keycloak.password_grant("carol")["access_token"]
    before = len(keycloak.requests)
    for _ in range(5):
        assert call(token).status_code == 200
    fetched = [path for _m, path in keycloak.requests[before:]]
    assert sorted(fetched) == [
        "/realms/mlops/.well-known/openid-configuration",
        "/realms/mlops/protocol/openid-connect/certs",
    ]


def test_it_follows_a_key_rotation(keycloak):
    assert call(keycloak.password_grant("carol")["access_token"]).status_code == 200
    keycloak.rotate_keys(keep_old=False)
    assert call(keycloak.password_grant("carol")["access_token"]).status_code == 200
    assert keycloak.calls("/certs") == 2


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_it_accepts_the_other_algorithms_a_realm_may_sign_with(keycloak, alg):
    keycloak.rotate_keys(alg=alg)
    token = keycloak.password_grant("carol")["access_token"]
    header = token.split(".")[0]
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"] == alg
    assert call(token).status_code == 200


def test_it_refuses_a_token_whose_alg_differs_from_its_keys(keycloak, alice_claims):
    token = keycloak.sign(alice_claims, header={"alg": "PS256"})  # an RS256 key
    assert_refused(call(token), "token_algorithm_not_allowed")


def test_a_role_removed_in_keycloak_stops_working_with_the_next_token(keycloak):
    assert call(keycloak.password_grant("bob")["access_token"]).json()["roles"] == [
        "portal-approver",
        "portal-viewer",
    ]
    keycloak.set_user_roles("bob", groups=["/data-science"])
    response = call(keycloak.password_grant("bob")["access_token"])
    assert response.json()["roles"] == ["portal-viewer"]
    assert AuditEvent.objects.filter(verb="auth.roles_changed").count() == 1


def test_it_refuses_a_user_disabled_in_the_portal(keycloak):
    token = keycloak.password_grant("carol")["access_token"]
    assert call(token).status_code == 200
    User = get_user_model()
    User.objects.filter(username="carol").update(is_active=False)
    assert_refused(call(token), "token_invalid_claims")


def test_session_authentication_keeps_working_for_the_browser(keycloak, carol, client_for):
    response = client_for(carol).get(PROBE)
    assert response.status_code == 200
    assert response.json()["username"] == "carol"


def test_an_api_permission_denial_is_audited(keycloak):
    token = keycloak.password_grant("carol")["access_token"]
    response = call(token, method="post")
    assert response.status_code == 403
    event = AuditEvent.objects.get(verb="permission.denied")
    assert event.actor_label == "carol"
    assert event.object_repr == f"POST {PROBE}"


@pytest.mark.parametrize("others", [10, 200])
def test_a_bearer_request_costs_the_same_queries_however_many_people_exist(keycloak, others):
    User = get_user_model()
    users = User.objects.bulk_create(User(username=f"person{i}") for i in range(others))
    OidcIdentity.objects.bulk_create(
        OidcIdentity(user=u, issuer=keycloak.issuer, subject=f"sub-{u.pk}") for u in users
    )
    token = keycloak.password_grant("carol")["access_token"]
    assert call(token).status_code == 200  # first sight: the person is created
    with CaptureQueriesContext(connection) as queries:
        assert call(token).status_code == 200
    # identity + user in one query, then the groups behind the roles
    assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]


def test_a_token_without_profile_claims_keeps_the_persons_name(keycloak, alice_claims):
    assert call(keycloak.sign(alice_claims)).status_code == 200
    bare = {k: v for k, v in alice_claims.items() if k not in ("given_name", "family_name")}
    bare["realm_access"] = {"roles": ["portal-viewer"]}  # forces a full sync
    assert call(keycloak.sign(bare)).json()["roles"] == ["portal-viewer"]
    alice = get_user_model().objects.get(username="alice")
    assert alice.get_full_name() == "Alice Editor"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_first_requests_of_one_person_create_one_identity(keycloak):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    token = keycloak.password_grant("alice")["access_token"]

    def first_call(_n):
        try:
            return call(token).status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(first_call, range(4)))
    assert statuses == [200, 200, 200, 200]
    assert OidcIdentity.objects.count() == 1
