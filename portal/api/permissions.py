from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal.policy import can


class PortalReadWrite(BasePermission):
    """Reading needs the viewer role; writing needs the view's ``write_action``
    (default "portal.write"). Object rules and business rules are enforced again by
    the services, which call ``policy.require``."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return can(request.user, getattr(view, "read_action", "portal.read"))
        return can(request.user, getattr(view, "write_action", "portal.write"))
