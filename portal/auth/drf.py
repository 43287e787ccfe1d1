"""DRF authentication with Keycloak access tokens, verified locally.

The realm's keys come from the cache (portal.auth.client), so a request costs no
call to Keycloak. The user's portal roles are brought in line with the token's on
each request, which is how a role removed in Keycloak stops working in the API as
soon as the client's token is refreshed.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from portal.auth.client import KeycloakUnavailable, keycloak_config, keycloak_enabled
from portal.auth.limits import client_address, first_in_interval
from portal.auth.services import InactiveUser, identity_for_token, sign_in_failure_record
from portal.auth.tokens import TokenError, access_token_verify
from portal.metrics import count_auth_refusal


class KeycloakBearerAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        if not keycloak_enabled():
            return None
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None  # Basic, Token…: another authenticator's business
        token = token.strip()
        if not token or " " in token:
            return self._fail(request, TokenError("token_malformed", "Authorization header"))
        config = keycloak_config()
        try:
            claims = access_token_verify(token, config=config)
            issuer = claims["iss"]
        except TokenError as exc:
            return self._fail(request, exc)
        except KeycloakUnavailable as exc:
            return self._fail(request, TokenError("keycloak_unavailable", str(exc)))
        try:
            user = identity_for_token(issuer=issuer, claims=claims, client_id=config.client_id)
        except InactiveUser:
            return self._fail(request, TokenError("token_invalid_claims", "account disabled"))
        return user, claims

    def _fail(self, request, error: TokenError):
        # Every refusal is counted; a source sending bad tokens in a loop leaves one
        # audit row per interval, not one per request.
        count_auth_refusal("bearer", error.code)
        if first_in_interval(
            name="bearer-refused",
            address=client_address(request),
            interval=settings.AUTH_REFUSAL_AUDIT_INTERVAL,
        ):
            sign_in_failure_record(
                username="",
                method="bearer",
                reason=f"{error.code}: {error.detail}",
                request=request,
            )
        raise exceptions.AuthenticationFailed(detail=error.message, code=error.code)

    def authenticate_header(self, request):
        # Only while Keycloak is on does a refused API call get 401 + a challenge;
        # without it the portal answers as before (403).
        if not keycloak_enabled():
            return None
        return f'{self.keyword} realm="{keycloak_config().realm}"'


class KeycloakBearerScheme(OpenApiAuthenticationExtension):
    target_class = "portal.auth.drf.KeycloakBearerAuthentication"
    name = "keycloakBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
