"""Who holds a role, for rules that address "the approvers" or "the admins"."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from portal.policy import _IMPLIED
from portal.roles import PortalRole


def users_with_role(role: PortalRole | str) -> QuerySet:
    # Read backwards from policy's table of implied roles (an admin is also an
    # approver), so the people addressed are exactly those policy lets act.
    role = PortalRole(role)
    names = [holder.value for holder, implied in _IMPLIED.items() if role in implied]
    User = get_user_model()
    return (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name__in=names) | Q(is_superuser=True))
        .distinct()
    )
