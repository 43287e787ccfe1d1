"""Personal API tokens: made on one's own page and shown once, stored as a hash,
revocable; a script sends ``Authorization: Bearer`` and acts with its owner's roles as
they are now; read-only never writes; refusals are counted, not logged one by one."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from portal.api_tokens.models import ApiToken, ApiTokenRefusal
from portal.api_tokens.services import api_token_create, api_token_revoke, digest_of
from portal.models import AuditEvent
from portal.policy import forget_roles

pytestmark = pytest.mark.django_db

IN_30_DAYS = datetime.timedelta(days=30)


def _token(user, scope="read", **kwargs):
    kwargs.setdefault("expires_at", timezone.now() + IN_30_DAYS)
    return api_token_create(actor=user, name=f"{scope} script", scope=scope, **kwargs)


def _bearer(secret: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}", raise_request_exception=False)


ADR = {"title": "Use DVC for datasets", "date": "2025-05-01"}


def test_the_page_shows_a_new_token_once_and_stores_only_its_hash(client_for, carol):
    page = client_for(carol)
    created = page.post("/api-tokens/", {"name": "nightly report", "scope": "read", "days": 30})
    assert created.status_code == 200
    secret = re.search(r'id="token-secret">(mlp_[^<]+)<', created.content.decode()).group(1)
    token = ApiToken.objects.get(user=carol)
    assert token.digest == digest_of(secret)
    assert secret not in str(ApiToken.objects.values().get())
    again = page.get("/api-tokens/").content.decode()
    assert secret not in again
    assert "nightly report" in again and token.prefix in again
    event = AuditEvent.objects.get(verb="api_token.create")
    assert event.actor == carol and secret not in str(event.after)


def test_a_read_only_token_reads_and_never_writes(alice):
    _row, secret = _token(alice, "read")
    client = _bearer(secret)
    assert client.get("/api/v1/adrs/").status_code == 200
    refused = client.post("/api/v1/adrs/", ADR, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "read_only_token"
    assert not AuditEvent.objects.filter(verb="adr.create").exists()


def test_a_read_write_token_writes_as_its_owner_without_a_csrf_token(alice):
    row, secret = _token(alice, "write")
    created = _bearer(secret).post("/api/v1/adrs/", ADR, content_type="application/json")
    assert created.status_code == 201, created.content[:300]
    assert AuditEvent.objects.get(verb="adr.create").actor == alice
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_a_token_acts_with_the_owners_current_roles_never_more(alice):
    _row, secret = _token(alice, "write")
    # alice loses the editor role: her token loses it with her.
    alice.groups.set([Group.objects.get_or_create(name="portal-viewer")[0]])
    forget_roles(alice)
    response = _bearer(secret).post("/api/v1/adrs/", ADR, content_type="application/json")
    assert response.status_code == 403
    # A write token of a viewer does not approve anything either.
    assert _bearer(secret).post("/api/v1/adrs/1/accept/").status_code in (403, 404)


@pytest.mark.parametrize("how", ["revoked", "expired", "unknown", "inactive"])
def test_a_dead_token_is_a_401_and_counted_once_a_day(alice, how):
    row, secret = _token(alice, "read")
    if how == "revoked":
        api_token_revoke(actor=alice, token=row)
    elif how == "expired":
        ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now())
    elif how == "unknown":
        secret = secret[:-4] + "xxxx"
    else:
        alice.is_active = False
        alice.save()
    before = AuditEvent.objects.count()
    for _ in range(5):
        response = _bearer(secret).get("/api/v1/adrs/")
        assert response.status_code == 401
        assert response.json()["code"] == "token_invalid"
        assert response["WWW-Authenticate"].startswith("Bearer")
    (counted,) = ApiTokenRefusal.objects.all()
    assert counted.count == 5
    assert counted.token_id == (None if how == "unknown" else row.pk)
    assert AuditEvent.objects.count() - before == 1
    assert AuditEvent.objects.filter(verb="api_token.refused").count() == 1


def test_only_the_owner_or_an_admin_revokes(client_for, alice, carol, dave):
    row, _secret = _token(alice)
    assert client_for(carol).post(f"/api-tokens/{row.pk}/revoke/").status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None
    assert client_for(alice).post(f"/api-tokens/{row.pk}/revoke/").status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
    other, _ = _token(carol)
    api_token_revoke(actor=dave, token=other)
    assert AuditEvent.objects.filter(verb="api_token.revoke").count() == 2


def test_a_keycloak_style_bearer_is_left_to_the_next_authenticator(carol):
    # Not one of ours: without Keycloak nobody authenticates it, so it is refused as
    # anonymous (403) and nothing is counted as a token refusal.
    response = _bearer("eyJhbGciOiJSUzI1NiJ9.e30.sig").get("/api/v1/adrs/")
    assert response.status_code in (401, 403)
    assert not ApiTokenRefusal.objects.exists()


def test_the_api_docs_show_how_with_curl(client_for, carol):
    schema = client_for(carol).get("/api/schema/?format=json").json()
    assert "curl -H 'Authorization: Bearer mlp_" in schema["info"]["description"]
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
