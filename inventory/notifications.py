"""Administrators hear when the inventory shows a new finding (a GPU node without
the device plugin, drifting drivers, a stale source ...), once per finding."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from inventory.findings import findings_iter
from portal.notifications import Message, add_notification_check, notification_kind
from portal.notifications.recipients import users_with_role
from portal.roles import PortalRole

FINDING_OPENED = "finding_opened"


def new_findings(now=None):
    admins = None
    for finding in findings_iter(now=now):
        if admins is None:
            admins = list(users_with_role(PortalRole.ADMIN).values_list("pk", flat=True))
        yield Message(
            kind=FINDING_OPENED,
            recipients=admins,
            text_key="finding_opened",
            params={"object": f"{finding.title}: {finding.object_label} ({finding.cluster_name})"},
            url=finding.url,
            dedup_key=f"finding:{finding.cluster_id}:{finding.code}:{finding.object_label}"[:200],
        )


def register() -> None:
    notification_kind(
        FINDING_OPENED,
        _("An inventory finding appeared (administrators)"),
        texts={"finding_opened": _("Inventory finding: %(object)s")},
    )
    add_notification_check("inventory.findings", new_findings, every="hourly")
