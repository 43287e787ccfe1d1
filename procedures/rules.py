"""Who may do what with procedures. Services call ``policy.require`` with these
actions; pages and the API ask ``policy.can`` to decide what to show."""

from __future__ import annotations

from portal.policy import has_role, role_rule, rule
from portal.roles import PortalRole

role_rule("procedure.create", PortalRole.EDITOR)
role_rule("procedure.update", PortalRole.EDITOR)
role_rule("version.edit", PortalRole.EDITOR)
role_rule("version.create", PortalRole.EDITOR)
# Any editor may submit, not only the author: a colleague can finish a draft.
role_rule("version.submit", PortalRole.EDITOR)
role_rule("version.withdraw", PortalRole.EDITOR)
role_rule("procedure.acknowledge", PortalRole.VIEWER)
role_rule("procedure.import", PortalRole.EDITOR)


def is_version_author(user, version) -> bool:
    """Anyone who changed the version's content counts as its author, not only the one
    who opened the draft: editing a colleague's text and approving it is approving
    one's own."""
    return version is not None and version.is_authored_by(user)


@rule("version.review")
@rule("version.approve")
def may_review(user, version=None) -> bool:
    """Approvers review and sign, never a version they wrote any of (four-eyes)."""
    return has_role(user, PortalRole.APPROVER) and not is_version_author(user, version)


@rule("version.raise_approvals")
def may_raise_approvals(user, version=None) -> bool:
    """The bar of a version in review moves only up, and only by someone who may
    review it: its authors cannot touch the rules their text is judged by."""
    return may_review(user, version)


# Lowering how many approvals a procedure needs weakens its future reviews.
role_rule("procedure.lower_approvals", PortalRole.APPROVER)


# Admins hold the approver role too (policy._IMPLIED).
role_rule("procedure.withdraw", PortalRole.APPROVER)
