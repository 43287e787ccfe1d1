"""Who holds a role, for rules that address "the approvers" or "the admins"."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from portal.roles import PortalRole

# The roles that include a role (an admin is also an approver, see portal.policy).
_HOLDERS = {
    PortalRole.VIEWER: [r.value for r in PortalRole],
    PortalRole.EDITOR: [PortalRole.EDITOR, PortalRole.ADMIN],
    PortalRole.APPROVER: [PortalRole.APPROVER, PortalRole.ADMIN],
    PortalRole.ADMIN: [PortalRole.ADMIN],
}


def users_with_role(role: PortalRole | str) -> QuerySet:
    names = [str(r) for r in _HOLDERS[PortalRole(role)]]
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=names) | Q(is_superuser=True))
        .distinct()
    )
