"""Who may do what with decisions, the matrix and onboarding."""

from __future__ import annotations

from knowledge.choices import LinkKind
from portal.policy import has_role, role_rule, rule
from portal.roles import PortalRole

role_rule("adr.create", PortalRole.EDITOR)
role_rule("adr.edit", PortalRole.EDITOR)
role_rule("adr.import", PortalRole.EDITOR)
role_rule("adr.accept", PortalRole.APPROVER)
role_rule("adr.reject", PortalRole.APPROVER)
role_rule("adr.deprecate", PortalRole.APPROVER)
# Superseding changes the status of a decision already taken: an approver's call.
role_rule("adr.supersede", PortalRole.APPROVER)


@rule("adr.link_remove")
def may_remove_link(user, link=None) -> bool:
    """Removing a link needs the right that made it: undoing a supersession changes
    the old record's status back, so it is an approver's call like making one."""
    if link is not None and getattr(link, "kind", None) == LinkKind.SUPERSEDES:
        return has_role(user, PortalRole.APPROVER)
    return has_role(user, PortalRole.EDITOR)


role_rule("matrix.edit", PortalRole.EDITOR)
role_rule("track.edit", PortalRole.EDITOR)


@rule("enrolment.create")
def may_enrol(user, obj=None) -> bool:
    """Editors and leads (approvers) bring people in."""
    return has_role(user, PortalRole.EDITOR) or has_role(user, PortalRole.APPROVER)


@rule("onboarding.view_all")
def may_view_all(user, obj=None) -> bool:
    return has_role(user, PortalRole.EDITOR) or has_role(user, PortalRole.APPROVER)


@rule("onboarding.confirm_step")
def may_confirm_step(user, enrolment=None) -> bool:
    """A skill step is the buddy's to confirm (or an admin's), never the person's own."""
    if enrolment is None or getattr(enrolment, "user_id", None) == getattr(user, "pk", None):
        return False
    return has_role(user, PortalRole.ADMIN) or (
        has_role(user, PortalRole.VIEWER)
        and getattr(enrolment, "buddy_id", None) == getattr(user, "pk", object())
    )


@rule("onboarding.complete_step")
def may_complete_step(user, enrolment=None) -> bool:
    """Only the person themself: a step done on someone's behalf teaches nobody."""
    return (
        enrolment is not None
        and has_role(user, PortalRole.VIEWER)
        and getattr(enrolment, "user_id", None) == getattr(user, "pk", object())
    )
