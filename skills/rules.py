"""Who may do what with skills: a person states their own levels; leads (approvers)
and admins confirm anyone's, a buddy confirms the person they bring in; editors keep
the catalogue and what roles need; viewers read."""

from __future__ import annotations

from portal.policy import add_rule, has_role, role_rule
from portal.roles import PortalRole


def may_set_level(user, person=None) -> bool:
    """Only for oneself: a level is first what the person says about themself."""
    return (
        person is not None
        and has_role(user, PortalRole.VIEWER)
        and getattr(person, "pk", None) == getattr(user, "pk", object())
    )


def may_confirm(user, person_skill=None) -> bool:
    """Leads and admins; a buddy for the person they onboard. Never one's own."""
    if not has_role(user, PortalRole.VIEWER):
        return False
    if person_skill is not None and person_skill.user_id == user.pk:
        return False
    if has_role(user, PortalRole.APPROVER):
        return True
    if person_skill is None:
        return False
    # A page that asks for many levels loads the ids once (selectors.buddy_of).
    known = getattr(user, "_skills_buddy_of", None)
    if known is not None:
        return person_skill.user_id in known
    from knowledge.models import Enrolment

    return Enrolment.objects.filter(user_id=person_skill.user_id, buddy_id=user.pk).exists()


def register() -> None:
    role_rule("skill.edit", PortalRole.EDITOR)
    add_rule("skill.set_level", may_set_level)
    add_rule("skill.confirm", may_confirm)
