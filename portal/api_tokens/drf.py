"""``Authorization: Bearer mlp_…``: a personal API token, beside Keycloak's JWTs.

A header whose token does not start with the portal's prefix is left to the next
authenticator (Keycloak). The token's owner is the user of the request, so the
policy sees the owner's roles as they are now; a read-only token is refused before
any write.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import SAFE_METHODS

from portal.api_tokens.models import ApiToken, TokenScope
from portal.api_tokens.services import (
    PREFIX,
    api_token_refusal_count,
    api_token_touch,
    digest_of,
)


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        scheme, _sep, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        secret = secret.strip()
        if scheme.lower() != self.keyword.lower() or not secret.startswith(PREFIX):
            return None
        token = ApiToken.objects.select_related("user").filter(digest=digest_of(secret)).first()
        if token is None:
            return self._refuse(request, None, "unknown")
        if token.revoked_at is not None:
            return self._refuse(request, token, "revoked")
        if token.expires_at <= timezone.now():
            return self._refuse(request, token, "expired")
        if not token.user.is_active:
            return self._refuse(request, token, "inactive_user")
        if token.scope == TokenScope.READ and request.method not in SAFE_METHODS:
            api_token_refusal_count(token=token, reason="read_only", request=request)
            raise exceptions.PermissionDenied(
                _("This token is read-only: it cannot change anything."), code="read_only_token"
            )
        api_token_touch(token)
        return token.user, token

    def _refuse(self, request, token, reason: str):
        api_token_refusal_count(token=token, reason=reason, request=request)
        raise exceptions.AuthenticationFailed(
            _("The API token is unknown, expired or revoked."), code="token_invalid"
        )

    def authenticate_header(self, request):
        """401 with a challenge for a refused token of ours; otherwise whatever the
        next authenticator answers (DRF asks only the first one)."""
        _scheme, _sep, secret = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if secret.strip().startswith(PREFIX):
            return f'{self.keyword} realm="api"'
        for other in getattr(request, "authenticators", ()):
            if other is not self and (header := other.authenticate_header(request)):
                return header
        return None


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.api_tokens.drf.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from the “API tokens” page, sent as "
            "`Authorization: Bearer mlp_…`.",
        }
