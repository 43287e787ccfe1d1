"""The procedures app's tabs, rendered by ``{% subnav "procedures" %}``."""

from django.utils.translation import gettext_lazy as _

from portal.registry import SubnavItem

LABEL = _("Procedures")
TABS = [
    SubnavItem("procedures:list", _("All procedures")),
    SubnavItem("procedures:review-queue", _("Awaiting my review")),
    SubnavItem("procedures:overdue", _("Overdue reviews")),
]
