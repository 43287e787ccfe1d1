"""Who may do what with personal API tokens."""

from __future__ import annotations

from portal.policy import add_rule, has_role, role_rule
from portal.roles import PortalRole


def may_revoke(user, token=None) -> bool:
    """The owner revokes their own tokens; an admin can revoke anyone's (leaving
    staff, a token pasted into a ticket)."""
    if token is None:
        return has_role(user, PortalRole.VIEWER)
    return token.user_id == getattr(user, "pk", None) or has_role(user, PortalRole.ADMIN)


def register() -> None:
    # Anyone with a portal role scripts as themself; a token never adds a role.
    role_rule("api_token.create", PortalRole.VIEWER)
    add_rule("api_token.revoke", may_revoke)
