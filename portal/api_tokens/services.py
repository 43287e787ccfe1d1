"""Creating, revoking and checking personal API tokens. Every write is audited with
its actor; refusals are counted per token, reason and day, and only the first of a
day writes an audit event."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.api_tokens.models import ApiToken, ApiTokenRefusal, TokenScope
from portal.audit import audit_record
from portal.errors import WorkflowError
from portal.policy import require

PREFIX = "mlp_"
MAX_DAYS = 366
# last_used_at is written at most this often per token: a script's burst of calls
# costs one UPDATE, not one per call.
TOUCH_EVERY = timedelta(minutes=1)


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _snapshot(token: ApiToken) -> dict:
    return {
        "name": token.name,
        "scope": token.scope,
        "prefix": token.prefix,
        "expires_at": token.expires_at,
    }


@transaction.atomic
def api_token_create(
    *, actor, name: str, scope: str = TokenScope.READ, expires_at: datetime
) -> tuple[ApiToken, str]:
    """A new token for ``actor`` themself. Returns the token row and the secret,
    which is shown once and never stored."""
    require(actor, "api_token.create")
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name, e.g. the script that uses it.")]
    elif len(name) > 100:
        errors["name"] = [_("The name is longer than 100 characters.")]
    if scope not in TokenScope.values:
        errors["scope"] = [_("Choose read only or read and write.")]
    now = timezone.now()
    if expires_at <= now:
        errors["expires_at"] = [_("The expiry must be in the future.")]
    elif expires_at > now + timedelta(days=MAX_DAYS):
        errors["expires_at"] = [_("A token lives at most a year.")]
    if errors:
        raise ValidationError(errors)
    secret = PREFIX + secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(
                user=actor,
                name=name,
                scope=scope,
                prefix=secret[: len(PREFIX) + 6],
                digest=digest_of(secret),
                expires_at=expires_at,
            )
    except IntegrityError as exc:
        raise WorkflowError(
            _("You already have a token with this name."), code="duplicate_name"
        ) from exc
    audit_record(actor=actor, verb="api_token.create", obj=token, after=_snapshot(token))
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    """The owner revokes a token; so may an admin."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    require(actor, "api_token.revoke", token)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(
        actor=actor,
        verb="api_token.revoke",
        obj=token,
        before={"revoked_at": None},
        after=_snapshot(token) | {"revoked_at": token.revoked_at},
    )
    return token


def api_token_refusal_count(*, token: ApiToken | None, reason: str, request=None) -> None:
    """Count one refused call. The first refusal of a day for this token and reason
    writes an audit event; the others only add to its count."""
    now = timezone.now()
    day = timezone.localdate(now)
    with transaction.atomic():
        updated = ApiTokenRefusal.objects.filter(token=token, reason=reason, day=day).update(
            count=F("count") + 1, last_at=now
        )
        if updated:
            return
        try:
            with transaction.atomic():
                ApiTokenRefusal.objects.create(
                    token=token, reason=reason, day=day, count=1, last_at=now
                )
        except IntegrityError:
            ApiTokenRefusal.objects.filter(token=token, reason=reason, day=day).update(
                count=F("count") + 1, last_at=now
            )
            return
        path = f"{request.method} {request.path}"[:200] if request is not None else ""
        audit_record(
            actor=token.user if token is not None else None,
            verb="api_token.refused",
            obj=token,
            object_repr=None if token is not None else "unknown API token",
            after={"reason": reason, "first_of_day": str(day), "request": path},
        )


def api_token_touch(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
