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
from keycloak.exceptions import KeycloakConnectionError, KeycloakError

from portal.auth.client import KeycloakUnavailable, keycloak_config, keycloak_enabled, openid_client
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


def session_refresh(request) -> bool:
    """Refresh the access token; end the portal session if Keycloak refuses.

    Returns whether the session is still signed in. Keycloak being unreachable is
    not a refusal: the session goes on until its refresh token would have expired.
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
    except (KeycloakConnectionError, KeycloakUnavailable, OSError) as exc:
        expires = data.get("refresh_expires_at") or 0
        if expires and time.time() >= expires:
            _session_end(request, "refresh token expired")
            return False
        log.warning("Keycloak unreachable while refreshing a session: %s", exc)
        return True
    except (KeycloakError, TokenError, KeyError, InactiveUser) as exc:
        reason = getattr(exc, "error_message", None) or str(exc)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        _session_end(request, str(reason)[:300])
        return False
    session_tokens_store(request, tokens=tokens, claims=claims)
    # The roles may have changed: the request's user must not keep the old ones.
    forget_roles(getattr(request, "user", None))
    return True


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
            and time.time() >= data.get("access_expires_at", 0) - REFRESH_MARGIN_SECONDS
            and request.user.is_authenticated
        ):
            session_refresh(request)
        return self.get_response(request)
