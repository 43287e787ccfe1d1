"""The version state machine: which action may start from which status.

One table, read by the services (to refuse) and by the pages (to offer buttons), so
the two never disagree.
"""

from __future__ import annotations

from procedures.choices import VersionStatus

S = VersionStatus

TRANSITIONS: dict[str, dict[str, str | None]] = {
    # action: {from status: to status}; ``None`` means "decided by the service"
    # (an approval publishes only when enough signatures are in).
    "edit": {S.DRAFT: S.DRAFT, S.CHANGES_REQUESTED: S.CHANGES_REQUESTED},
    "submit": {S.DRAFT: S.IN_REVIEW, S.CHANGES_REQUESTED: S.IN_REVIEW},
    "approve": {S.IN_REVIEW: None},
    "request_changes": {S.IN_REVIEW: S.CHANGES_REQUESTED},
    "reject": {S.IN_REVIEW: S.REJECTED},
    "withdraw": {S.DRAFT: S.WITHDRAWN, S.IN_REVIEW: S.WITHDRAWN, S.CHANGES_REQUESTED: S.WITHDRAWN},
}


def allowed(action: str, status: str) -> bool:
    return status in TRANSITIONS[action]


def target(action: str, status: str) -> str | None:
    return TRANSITIONS[action][status]
