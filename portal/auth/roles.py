"""Keycloak roles and groups → portal roles (Django groups of the same names).

Realm roles and the portal client's own roles both count, so an administrator can
grant portal access either way. Only the four portal roles become Django groups;
Keycloak groups are kept on the user's OidcIdentity for the role matrix.
"""

from __future__ import annotations

from portal.roles import ROLE_NAMES


def keycloak_roles(claims: dict, client_id: str) -> set[str]:
    """Every role the token carries: realm roles plus this client's roles."""
    roles: set[str] = set()
    realm_access = claims.get("realm_access")
    if isinstance(realm_access, dict):
        roles.update(r for r in realm_access.get("roles", []) if isinstance(r, str))
    resource_access = claims.get("resource_access")
    if isinstance(resource_access, dict):
        client = resource_access.get(client_id)
        if isinstance(client, dict):
            roles.update(r for r in client.get("roles", []) if isinstance(r, str))
    return roles


def portal_roles(claims: dict, client_id: str) -> set[str]:
    return keycloak_roles(claims, client_id) & set(ROLE_NAMES)


def keycloak_groups(claims: dict) -> list[str]:
    """Group names from the "groups" claim; full paths are reduced to the last part
    so that either mapper setting ("full path" on or off) gives the same names."""
    groups = claims.get("groups")
    if not isinstance(groups, list):
        return []
    names = {
        g.rstrip("/").rsplit("/", 1)[-1] for g in groups if isinstance(g, str) and g.strip("/")
    }
    return sorted(names)
