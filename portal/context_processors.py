from django.conf import settings

from portal.policy import roles_of
from portal.registry import registry


def portal(request):
    user = getattr(request, "user", None)
    return {
        "nav_items": registry.nav_items,
        "keycloak_enabled": settings.KEYCLOAK_ENABLED,
        "portal_roles": roles_of(user),
    }
