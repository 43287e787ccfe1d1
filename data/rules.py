"""Who may do what with data and networks, as for the inventory's records: viewers
read, editors edit, admins delete."""

from portal.policy import role_rule
from portal.roles import PortalRole


def register() -> None:
    role_rule("data.read", PortalRole.VIEWER)
    role_rule("data.edit", PortalRole.EDITOR)
    role_rule("data.delete", PortalRole.ADMIN)
