"""Who may do what with the inventory: viewers read it, admins configure its sources
and start syncs."""

from portal.policy import role_rule
from portal.roles import PortalRole


def register() -> None:
    role_rule("inventory.read", PortalRole.VIEWER)
    role_rule("inventory.manage", PortalRole.ADMIN)
