"""Limits on what strangers can cost: API throttles, password lockouts per account and
address, the back-channel endpoint's rate limit, and refused bearer tokens counted
but audited once per source and interval."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from prometheus_client import REGISTRY

from portal.models import AuditEvent
from tests.auth.test_bearer_tokens import PROBE

pytestmark = pytest.mark.urls("tests.auth.probe_urls")
OPEN = "/api/v1/open-probe/"


def refused(method: str, code: str) -> float:
    value = REGISTRY.get_sample_value("portal_auth_refused_total", {"method": method, "code": code})
    return value or 0.0


@pytest.fixture
def rates(settings, monkeypatch):
    def set_rates(**rates):
        for scope, rate in rates.items():
            monkeypatch.setitem(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope, rate)

    return set_rates


def test_anonymous_api_calls_are_throttled_per_address(rates, client, db):
    rates(anon="3/minute")
    answers = [client.get(OPEN).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    assert client.get(OPEN, REMOTE_ADDR="192.0.2.10").status_code == 200


def test_a_users_api_calls_are_throttled_per_user(rates, client_for, carol, dave):
    rates(user="2/minute")
    carols = client_for(carol)
    assert [carols.get(PROBE).status_code for _ in range(3)] == [200, 200, 429]
    throttled = carols.get(PROBE)
    assert int(throttled["Retry-After"]) > 0
    assert client_for(dave).get(PROBE).status_code == 200


def test_without_rates_nothing_is_throttled(client_for, carol):
    carols = client_for(carol)
    assert {carols.get(PROBE).status_code for _ in range(10)} == {200}


@override_settings(AUTH_LOCKOUT_FAILURES=3, AUTH_LOCKOUT_SECONDS=600)
def test_wrong_passwords_lock_the_account_out_from_that_address(client, alice):
    for _ in range(3):
        wrong = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
        assert wrong.status_code == 200
    assert "Try again in 10 minutes" in wrong.content.decode()
    right = client.post("/accounts/login/", {"username": "alice", "password": "alice-password"})
    assert right.status_code == 429
    assert right["Retry-After"] == "600"
    assert "Too many failed sign-ins" in right.content.decode()
    assert "_auth_user_id" not in client.session
    # Another address, or another account from this one, is not locked out.
    elsewhere = client.post(
        "/accounts/login/",
        {"username": "alice", "password": "alice-password"},
        REMOTE_ADDR="192.0.2.7",
    )
    assert elsewhere.status_code == 302
    assert refused("local", "locked_out") >= 1


@override_settings(AUTH_LOCKOUT_FAILURES=3)
def test_a_good_password_clears_the_failures(client, alice):
    for _ in range(2):
        client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    client.post("/accounts/login/", {"username": "alice", "password": "alice-password"})
    client.logout()
    for _ in range(2):
        client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    right = client.post("/accounts/login/", {"username": "alice", "password": "alice-password"})
    assert right.status_code == 302


@override_settings(AUTH_LOCKOUT_FAILURES=2)
def test_break_glass_locks_out_too(keycloak, client):
    get_user_model().objects.create_superuser("root", "root@example.org", "break-glass-pw")
    for _ in range(2):
        client.post("/accounts/break-glass/", {"username": "root", "password": "guess"})
    right = client.post(
        "/accounts/break-glass/", {"username": "root", "password": "break-glass-pw"}
    )
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.content.decode()


@override_settings(BACKCHANNEL_RATE_PER_MINUTE=3)
def test_the_back_channel_endpoint_is_rate_limited_per_address(keycloak, client):
    answers = [
        client.post("/accounts/oidc/backchannel-logout", {"logout_token": "x"}).status_code
        for _ in range(4)
    ]
    assert answers == [400, 400, 400, 429]
    # Three refusals from one address: one audit row.
    assert AuditEvent.objects.filter(after__method="backchannel").count() == 1


def test_refused_bearer_tokens_are_counted_and_audited_once_per_source(keycloak, client):
    before = refused("bearer", "token_malformed")
    for _ in range(5):
        answer = client.get(PROBE, HTTP_AUTHORIZATION="Bearer not-a-jwt")
        assert answer.status_code == 401
    client.get(PROBE, HTTP_AUTHORIZATION="Bearer not-a-jwt", REMOTE_ADDR="192.0.2.9")
    assert refused("bearer", "token_malformed") == before + 6
    rows = AuditEvent.objects.filter(verb="auth.login_failed", after__method="bearer")
    assert sorted(rows.values_list("after__ip", flat=True)) == ["127.0.0.1", "192.0.2.9"]
