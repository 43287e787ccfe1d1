"""Administrators hear of a new data or network finding (a dataset too slow to reach
its GPUs, a link measured well below its contract ...), once per finding."""

from __future__ import annotations

from data.findings import findings_compute
from inventory.notifications import FINDING_OPENED
from portal.notifications import Message, add_notification_check
from portal.notifications.recipients import users_with_role
from portal.roles import PortalRole


def new_data_findings(now=None):
    groups = [g for g in findings_compute() if g.rows]
    if not groups:
        return
    admins = list(users_with_role(PortalRole.ADMIN).values_list("pk", flat=True))
    for group in groups:
        for row in group.rows:
            yield Message(
                kind=FINDING_OPENED,
                recipients=admins,
                text_key="finding_opened",
                params={"object": f"{group.label}: {row.subject} ({row.message})"},
                url=row.url,
                dedup_key=f"data-finding:{group.code}:{row.subject}"[:200],
            )


def register() -> None:
    add_notification_check("data.findings", new_data_findings, every="daily")
