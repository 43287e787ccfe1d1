"""Who may do what with decisions, the matrix and onboarding."""

from __future__ import annotations

from knowledge.choices import LinkKind
from portal.policy import add_rule, has_role, role_rule
from portal.roles import PortalRole


def may_remove_link(user, link=None) -> bool:
    """Removing a link needs the right that made it: undoing a supersession changes
    the old record's status back, so it is an approver's call like making one."""
    if link is not None and getattr(link, "kind", None) == LinkKind.SUPERSEDES:
        return has_role(user, PortalRole.APPROVER)
    return has_role(user, PortalRole.EDITOR)


def may_enrol(user, obj=None) -> bool:
    """Editors and leads (approvers) bring people in."""
    return has_role(user, PortalRole.EDITOR) or has_role(user, PortalRole.APPROVER)


def may_view_all(user, obj=None) -> bool:
    return has_role(user, PortalRole.EDITOR) or has_role(user, PortalRole.APPROVER)


def may_confirm_step(user, enrolment=None) -> bool:
    """A skill step is the buddy's to confirm (or an admin's), never the person's own."""
    if enrolment is None or getattr(enrolment, "user_id", None) == getattr(user, "pk", None):
        return False
    return has_role(user, PortalRole.ADMIN) or (
        has_role(user, PortalRole.VIEWER)
        and getattr(enrolment, "buddy_id", None) == getattr(user, "pk", object())
    )


def may_complete_step(user, enrolment=None) -> bool:
    """Only the person themself: a step done on someone's behalf teaches nobody."""
    return (
        enrolment is not None
        and has_role(user, PortalRole.VIEWER)
        and getattr(enrolment, "user_id", None) == getattr(user, "pk", object())
    )


def register() -> None:
    for action in ("adr.create", "adr.edit", "adr.import", "matrix.edit", "track.edit"):
        role_rule(action, PortalRole.EDITOR)
    # Superseding changes the status of a decision already taken: an approver's call.
    for action in ("adr.accept", "adr.reject", "adr.deprecate", "adr.supersede"):
        role_rule(action, PortalRole.APPROVER)
    add_rule("adr.link_remove", may_remove_link)
    add_rule("enrolment.create", may_enrol)
    add_rule("onboarding.view_all", may_view_all)
    add_rule("onboarding.confirm_step", may_confirm_step)
    add_rule("onboarding.complete_step", may_complete_step)
