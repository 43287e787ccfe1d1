"""Authentication backend for users who signed in through Keycloak.

It also closes local password sign-in while Keycloak is configured: a password
attempt anywhere (the admin's login form included) is refused, except through the
break-glass page, which asks for it explicitly.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import PermissionDenied

from portal.auth.client import keycloak_enabled
from portal.auth.services import InactiveUser, identity_sync


class KeycloakBackend(BaseBackend):
    def authenticate(
        self,
        request,
        *,
        oidc_claims: dict | None = None,
        oidc_role_claims: dict | None = None,
        oidc_issuer: str = "",
        oidc_client_id: str = "",
        oidc_token_metadata: dict | None = None,
        break_glass: bool = False,
        **credentials,
    ):
        if oidc_claims is not None:
            try:
                return identity_sync(
                    issuer=oidc_issuer,
                    claims=oidc_claims,
                    client_id=oidc_client_id,
                    role_claims=oidc_role_claims,
                    token_metadata=oidc_token_metadata,
                    is_login=True,
                )
            except InactiveUser:
                return None
        if "password" in credentials and keycloak_enabled() and not break_glass:
            # PermissionDenied stops Django from asking the next backend.
            raise PermissionDenied("local sign-in is off while Keycloak is configured")
        return None

    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if user.is_active else None
