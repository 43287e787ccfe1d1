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


def _is_author(user, version) -> bool:
    return version is not None and getattr(version, "author_id", None) == getattr(user, "pk", None)


@rule("version.review")
@rule("version.approve")
def may_review(user, version=None) -> bool:
    """Approvers review and sign, never their own version (four-eyes)."""
    return has_role(user, PortalRole.APPROVER) and not _is_author(user, version)


# Admins hold the approver role too (policy._IMPLIED).
role_rule("procedure.withdraw", PortalRole.APPROVER)
