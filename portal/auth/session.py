"""What a browser session keeps of its Keycloak sign-in, and how it is kept fresh.

The session holds the ID token (for the logout hint), the refresh token and the
expiry times, never the access token: pages need only to know that the Keycloak
session is still alive, which a successful refresh proves.
"""

from __future__ import annotations

import logging
import time

from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _
from keycloak.exceptions import KeycloakError

from portal.auth.client import (
    KeycloakUnavailable,
    keycloak_config,
    keycloak_enabled,
    keycloak_refused,
    openid_client,
)
from portal.auth.services import (
    InactiveUser,
    identity_sync,
    oidc_session_forget,
    sign_out_record,
)
from portal.auth.tokens import TokenError, access_token_verify
from portal.policy import forget_roles

log = logging.getLogger(__name__)

SESSION_KEY = "oidc"
PENDING_KEY = "oidc_pending"
# Refresh this long before the access token runs out, so a page never renders with
# roles older than the token's lifetime.
REFRESH_MARGIN_SECONDS = 30
# After Keycloak could not be asked, the next try waits this long: a page must not
# wait for a timeout on every request while Keycloak is down or slow.
REFRESH_RETRY_SECONDS = 30


def session_tokens_store(request, *, tokens: dict, claims: dict) -> None:
    now = time.time()
    previous = request.session.get(SESSION_KEY, {})
    request.session[SESSION_KEY] = {
        "issuer": claims["iss"],
        "sub": claims["sub"],
        "sid": claims.get("sid") or previous.get("sid", ""),
        "id_token": tokens.get("id_token") or previous.get("id_token", ""),
        "refresh_token": tokens.get("refresh_token") or previous.get("refresh_token", ""),
        "access_expires_at": int(claims.get("exp") or now + int(tokens.get("expires_in", 60))),
        "refresh_expires_at": int(now + int(tokens.get("refresh_expires_in") or 0))
        if tokens.get("refresh_expires_in")
        else 0,
    }


def _session_end(request, reason: str) -> None:
    user = request.user
    sign_out_record(user=user, method="session_ended", request=request, reason=reason)
    oidc_session_forget(session_key=request.session.session_key)
    logout(request)
    messages.info(request, _("Your Keycloak session has ended. Please sign in again."))


def _refresh_postpone(request, data: dict, exc: BaseException) -> bool:
    """Keycloak could not say yes or no: the session goes on until its refresh token
    would have expired, and the refresh is tried again a little later."""
    expires = data.get("refresh_expires_at") or 0
    if expires and time.time() >= expires:
        _session_end(request, "refresh token expired")
        return False
    log.warning(
        "Keycloak unavailable while refreshing the session of %s; retrying in %s s: %s",
        getattr(request.user, "username", "?"),
        REFRESH_RETRY_SECONDS,
        str(exc)[:300],
    )
    request.session[SESSION_KEY] = {**data, "retry_at": int(time.time()) + REFRESH_RETRY_SECONDS}
    return True


def session_refresh(request) -> bool:
    """Refresh the access token; end the portal session if Keycloak refuses.

    Returns whether the session is still signed in. Keycloak being unreachable,
    slow, overloaded (429) or failing (5xx) is not a refusal: only an answer that
    means "no" (invalid_grant: session ended or revoked, user disabled, token
    expired) ends the session.
    """
    data = request.session.get(SESSION_KEY) or {}
    config = keycloak_config()
    try:
        tokens = openid_client(config).refresh_token(data.get("refresh_token", ""))
        claims = access_token_verify(tokens["access_token"], config=config)
        if claims["sub"] != data.get("sub"):
            raise TokenError("token_invalid_claims", "refreshed token is for another subject")
        identity_sync(
            issuer=claims["iss"],
            claims=claims,
            client_id=config.client_id,
            token_metadata={"refreshed_at": int(time.time())},
            is_login=False,
        )
    except (KeycloakUnavailable, OSError) as exc:
        return _refresh_postpone(request, data, exc)
    except KeycloakError as exc:
        if not keycloak_refused(exc):
            return _refresh_postpone(request, data, exc)
        _session_end(request, _error_text(exc))
        return False
    except (TokenError, KeyError, TypeError, InactiveUser) as exc:
        _session_end(request, str(exc)[:300])
        return False
    session_tokens_store(request, tokens=tokens, claims=claims)
    # The roles may have changed: the request's user must not keep the old ones.
    forget_roles(getattr(request, "user", None))
    return True


def _error_text(exc: KeycloakError) -> str:
    reason = exc.response_body or exc.error_message or str(exc)
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return str(reason)[:300]


def refresh_due(data: dict, now: float) -> bool:
    if now < data.get("retry_at", 0):
        return False
    return now >= data.get("access_expires_at", 0) - REFRESH_MARGIN_SECONDS


class KeycloakSessionMiddleware:
    """Keeps a Keycloak-backed session alive, or ends it once Keycloak has."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        data = session.get(SESSION_KEY) if session is not None else None
        if (
            data
            and keycloak_enabled()
            and refresh_due(data, time.time())
            and request.user.is_authenticated
        ):
            session_refresh(request)
        return self.get_response(request)
