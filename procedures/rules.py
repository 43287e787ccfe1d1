"""Who may do what with procedures. Services call ``policy.require`` with these
actions; pages and the API ask ``policy.can`` to decide what to show."""

from __future__ import annotations

from portal.policy import add_rule, has_role, role_rule
from portal.roles import PortalRole


def is_version_author(user, version) -> bool:
    """Anyone who changed the version's content counts as its author, not only the one
    who opened the draft: editing a colleague's text and approving it is approving
    one's own."""
    return version is not None and version.is_authored_by(user)


def may_review(user, version=None) -> bool:
    """Approvers review and sign, never a version they wrote any of (four-eyes)."""
    return has_role(user, PortalRole.APPROVER) and not is_version_author(user, version)


def may_raise_approvals(user, version=None) -> bool:
    """The bar of a version in review moves only up, and only by someone who may
    review it: its authors cannot touch the rules their text is judged by."""
    return may_review(user, version)


def register() -> None:
    # Any editor may submit, not only the author: a colleague can finish a draft.
    for action in (
        "procedure.create",
        "procedure.update",
        "procedure.import",
        "version.edit",
        "version.create",
        "version.submit",
        "version.withdraw",
    ):
        role_rule(action, PortalRole.EDITOR)
    role_rule("procedure.acknowledge", PortalRole.VIEWER)
    # Lowering how many approvals a procedure needs weakens its future reviews.
    # Admins hold the approver role too (policy._IMPLIED).
    role_rule("procedure.lower_approvals", PortalRole.APPROVER)
    role_rule("procedure.withdraw", PortalRole.APPROVER)
    add_rule("version.review", may_review)
    add_rule("version.approve", may_review)
    add_rule("version.raise_approvals", may_raise_approvals)
