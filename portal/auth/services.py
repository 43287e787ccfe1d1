"""Writes of the sign-in machinery: users from Keycloak claims, their roles and
groups, the sid→session map, and the audit trail of every sign-in and sign-out."""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.audit import audit_record
from portal.auth.roles import keycloak_groups, keycloak_roles, portal_roles
from portal.models import OidcIdentity, OidcSession
from portal.policy import forget_roles
from portal.roles import ROLE_NAMES

log = logging.getLogger(__name__)


class InactiveUser(Exception):
    """The portal account linked to this Keycloak identity has been disabled."""


def _claim(claims: dict, name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _free_username(wanted: str, subject: str, user_id: int | None) -> str:
    """``wanted`` unless another account has it; then a name derived from the subject.

    An existing local account is never taken over by a Keycloak user that happens to
    share its name: that would hand, say, the break-glass "admin" to whoever Keycloak
    calls admin.
    """
    User = get_user_model()
    wanted = (wanted or subject)[:150]
    taken = User.objects.filter(username=wanted).exclude(pk=user_id).exists()
    if not taken:
        return wanted
    fallback = f"{wanted[:140]}-{subject.replace('-', '')[:8]}"
    log.warning("username %r is taken by another account; using %r", wanted, fallback)
    return fallback


def portal_groups_sync(*, user, roles: set[str]) -> tuple[list[str], list[str]]:
    """Make the user's portal-role groups exactly ``roles``; other groups stay."""
    current = set(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))
    wanted = set(roles) & set(ROLE_NAMES)
    if current != wanted:
        if current - wanted:
            user.groups.remove(*Group.objects.filter(name__in=current - wanted))
        for name in sorted(wanted - current):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        forget_roles(user)
    return sorted(current), sorted(wanted)


_PROFILE_CLAIMS = (
    ("first_name", "given_name", 150),
    ("last_name", "family_name", 150),
    ("email", "email", 254),
)
_METADATA_CLAIMS = ("sid", "azp", "scope", "exp", "iat", "auth_time", "preferred_username")


def _token_metadata(claims: dict, extra: dict | None) -> dict:
    meta = {k: claims[k] for k in _METADATA_CLAIMS if k in claims}
    meta.update(extra or {})
    return meta


def identity_sync(
    *,
    issuer: str,
    claims: dict,
    client_id: str,
    role_claims: dict | None = None,
    token_metadata: dict | None = None,
    is_login: bool,
):
    """The portal user for a Keycloak identity, created or brought up to date.

    Two first requests of the same person can race to create the identity; the one
    that loses finds the winner's row on its second try.
    """
    kwargs = {
        "issuer": issuer,
        "claims": claims,
        "client_id": client_id,
        "role_claims": role_claims,
        "token_metadata": token_metadata,
        "is_login": is_login,
    }
    try:
        return _identity_sync(**kwargs)
    except IntegrityError:
        return _identity_sync(**kwargs)


@transaction.atomic
def _identity_sync(
    *,
    issuer: str,
    claims: dict,
    client_id: str,
    role_claims: dict | None = None,
    token_metadata: dict | None = None,
    is_login: bool,
):
    """``claims`` names the person (ID token or access token); ``role_claims`` (the
    access token, when there is one) carries roles and groups. Portal roles are set
    to what Keycloak says now, so a role removed there is removed here.
    """
    User = get_user_model()
    role_claims = role_claims if role_claims is not None else claims
    subject = claims["sub"]
    identity = (
        OidcIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    username_claim = _claim(claims, "preferred_username", 150)
    if identity is None:
        user = User(username=_free_username(username_claim, subject, None))
        user.set_unusable_password()
        created = True
    else:
        user = identity.user
        if not user.is_active:
            raise InactiveUser(user.get_username())
        created = False
        if username_claim and user.username != username_claim:
            user.username = _free_username(username_claim, subject, user.pk)
    # A token without profile claims (a realm that maps them only into the ID token)
    # must not blank the name at a refresh.
    for field, claim, limit in _PROFILE_CLAIMS:
        if claim in claims:
            setattr(user, field, _claim(claims, claim, limit))
    if is_login:
        user.last_login = timezone.now()
    user.save()
    if created:
        identity = OidcIdentity(user=user, issuer=issuer, subject=subject)
    roles = portal_roles(role_claims, client_id)
    before, after = portal_groups_sync(user=user, roles=roles)
    identity.groups = keycloak_groups(role_claims)
    identity.roles = sorted(keycloak_roles(role_claims, client_id))
    identity.token_metadata = _token_metadata(role_claims, token_metadata)
    if is_login:
        identity.last_login_at = timezone.now()
    identity.save()
    if created:
        audit_record(
            actor=user,
            verb="auth.user_created",
            obj=user,
            after={"issuer": issuer, "subject": subject, "roles": after},
        )
    elif before != after:
        audit_record(
            actor=user,
            verb="auth.roles_changed",
            obj=user,
            before={"roles": before},
            after={"roles": after},
        )
    return user


def identity_for_token(*, issuer: str, claims: dict, client_id: str):
    """The user of an API access token: one query when nothing changed in Keycloak,
    a full identity_sync (which writes) only when something did."""
    identity = (
        OidcIdentity.objects.select_related("user")
        .filter(issuer=issuer, subject=claims.get("sub", ""))
        .first()
    )
    if identity is not None:
        user = identity.user
        if not user.is_active:
            raise InactiveUser(user.get_username())
        unchanged = (
            identity.roles == sorted(keycloak_roles(claims, client_id))
            and identity.groups == keycloak_groups(claims)
            and identity.token_metadata.get("preferred_username")
            == claims.get("preferred_username")
            and all(
                getattr(user, field) == _claim(claims, claim, limit)
                for field, claim, limit in _PROFILE_CLAIMS
                if claim in claims
            )
        )
        if unchanged:
            return user
    return identity_sync(issuer=issuer, claims=claims, client_id=client_id, is_login=False)


def keycloak_groups_of(user) -> list[str]:
    """The Keycloak groups the user was in at their last sign-in or token refresh."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    try:
        return list(user.oidc_identity.groups)
    except OidcIdentity.DoesNotExist:
        return []


def oidc_session_bind(*, session_key: str, user, issuer: str, subject: str, sid: str) -> None:
    OidcSession.objects.update_or_create(
        session_key=session_key,
        defaults={"user": user, "issuer": issuer, "subject": subject, "sid": sid or ""},
    )


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


@transaction.atomic
def oidc_sessions_end(*, issuer: str, sid: str | None = None, subject: str | None = None) -> int:
    """End the portal sessions of a Keycloak session (sid) or of a person (sub)."""
    rows = OidcSession.objects.select_for_update().filter(issuer=issuer)
    if sid:
        rows = rows.filter(sid=sid)
    elif subject:
        rows = rows.filter(subject=subject)
    else:
        return 0
    store = _session_store()
    ended = list(rows.select_related("user"))
    for row in ended:
        store(session_key=row.session_key).delete()
        audit_record(
            actor=row.user,
            verb="auth.logout",
            object_repr=row.user.get_username(),
            after={"method": "backchannel", "sid": row.sid},
        )
    OidcSession.objects.filter(pk__in=[row.pk for row in ended]).delete()
    return len(ended)


def oidc_session_forget(*, session_key: str | None) -> None:
    if session_key:
        OidcSession.objects.filter(session_key=session_key).delete()


def sign_in_record(*, user, method: str, request=None, **details) -> None:
    audit_record(
        actor=user,
        verb="auth.login",
        object_repr=user.get_username(),
        after={"method": method, **_client_details(request), **details},
    )


def sign_out_record(*, user, method: str, request=None, **details) -> None:
    audit_record(
        actor=user,
        verb="auth.logout",
        object_repr=user.get_username() if user is not None else "",
        after={"method": method, **_client_details(request), **details},
    )


def sign_in_failure_record(*, username: str, method: str, reason: str, request=None) -> None:
    audit_record(
        actor="anonymous",
        verb="auth.login_failed",
        object_repr=(username or "")[:150],
        after={"method": method, "reason": str(reason)[:300], **_client_details(request)},
    )


def _client_details(request) -> dict:
    if request is None:
        return {}
    return {"ip": request.META.get("REMOTE_ADDR", "")}
