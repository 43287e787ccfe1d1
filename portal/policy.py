"""Who may do what: the one place that decides.

Actions are strings ("version.approve"). The portal's own rules are below; each app
registers the rules of its objects from ``AppConfig.ready()`` with :func:`add_rule` and
:func:`role_rule`, so this module never imports an app. Views hide what :func:`can` refuses; services call
:func:`require`, so the API and the pages enforce the same thing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from portal.registry import DuplicateRegistration
from portal.roles import PortalRole

Rule = Callable[[object, object | None], bool]
_RULES: dict[str, Rule] = {}

# Roles a role implies. Approvers review but do not draft unless they are editors too.
_IMPLIED = {
    PortalRole.ADMIN: {PortalRole.ADMIN, PortalRole.APPROVER, PortalRole.EDITOR, PortalRole.VIEWER},
    PortalRole.APPROVER: {PortalRole.APPROVER, PortalRole.VIEWER},
    PortalRole.EDITOR: {PortalRole.EDITOR, PortalRole.VIEWER},
    PortalRole.VIEWER: {PortalRole.VIEWER},
}


def roles_of(user) -> frozenset[str]:
    """The portal roles a user holds, cached on the user object for the request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_portal_roles", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        roles = frozenset(r.value for r in PortalRole)
    else:
        names = {g.name for g in user.groups.all()}
        roles = frozenset(
            implied.value
            for role in PortalRole
            if role.value in names
            for implied in _IMPLIED[role]
        )
    user._portal_roles = roles
    return roles


def forget_roles(user) -> None:
    """Drop the roles cached on this user object, after their groups changed."""
    if user is not None:
        user.__dict__.pop("_portal_roles", None)


def has_role(user, role: PortalRole | str) -> bool:
    return str(role) in roles_of(user)


def add_rule(action: str, func: Rule) -> None:
    """Register who may do ``action``: ``func(user, obj=None) -> bool``. Once per action,
    from the app's ``AppConfig.ready()``: a second rule would silently win."""
    if action in _RULES:
        raise DuplicateRegistration(f"policy rule {action!r} is registered twice")
    _RULES[action] = func


_NEEDS: dict[str, PortalRole] = {}


def role_rule(action: str, role: PortalRole) -> None:
    """Register an action that only needs a role."""
    add_rule(action, lambda user, obj=None: has_role(user, role))
    _NEEDS[action] = role


def needed_role(action: str | None) -> PortalRole | None:
    """The role an action needs, when a role is all it needs (for the 403 page)."""
    return _NEEDS.get(action or "")


def can(user, action: str, obj=None) -> bool:
    try:
        check = _RULES[action]
    except KeyError as exc:
        raise LookupError(f"no policy rule for action {action!r}") from exc
    return bool(check(user, obj))


class PolicyDenied(PermissionDenied):
    def __init__(self, action: str, obj=None, message: str | None = None):
        self.action = action
        self.obj = obj
        super().__init__(message or _("You are not allowed to do this."))


def require(user, action: str, obj=None, message: str | None = None) -> None:
    if not can(user, action, obj):
        raise PolicyDenied(action, obj, message)


def register() -> None:
    """The portal's own rules (PortalConfig.ready)."""
    role_rule("portal.read", PortalRole.VIEWER)
    role_rule("portal.write", PortalRole.EDITOR)
    role_rule("portal.admin", PortalRole.ADMIN)
    role_rule("audit.view", PortalRole.ADMIN)
