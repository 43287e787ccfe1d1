"""The knowledge app's tabs, rendered by ``{% subnav "knowledge" %}``."""

from django.utils.translation import gettext_lazy as _

from portal.registry import SubnavItem

LABEL = _("Knowledge")
TABS = [
    SubnavItem("knowledge:adr-list", _("Decision log"), current_on=("knowledge:adr-detail",)),
    SubnavItem("knowledge:adr-graph", _("Decision graph")),
    SubnavItem("knowledge:matrix", _("Responsibility matrix")),
    SubnavItem("knowledge:onboarding-mine", _("My onboarding")),
    SubnavItem("knowledge:onboarding-team", _("Team onboarding"), action="onboarding.view_all"),
    SubnavItem("knowledge:track-list", _("Onboarding tracks"), current_on=("knowledge:track-*",)),
]
