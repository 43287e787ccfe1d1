"""The inventory's tabs, rendered by ``{% subnav "inventory" cluster=… %}``."""

from django.utils.translation import gettext_lazy as _

from portal.registry import SubnavItem

LABEL = _("Inventory")
TABS = [
    SubnavItem("inventory:overview", _("Overview")),
    SubnavItem("inventory:findings", _("Findings")),
    SubnavItem("inventory:node-list", _("Nodes"), current_on=("inventory:node-detail",)),
    SubnavItem("inventory:gpu-list", _("GPUs")),
    SubnavItem("inventory:component-list", _("Components")),
    SubnavItem("inventory:certificate-list", _("Certificates")),
    SubnavItem("inventory:storage-list", _("Storage")),
    SubnavItem("inventory:change-list", _("Changes")),
    SubnavItem("inventory:syncrun-list", _("Sync runs")),
    SubnavItem("inventory:capacity", _("Capacity advisor"), keeps_filters=False),
    SubnavItem(
        "inventory:source-list",
        _("Sources"),
        current_on=("inventory:source-*",),
        action="inventory.manage",
        keeps_filters=False,
    ),
]
