"""The data app's tabs, rendered by ``{% subnav "data" %}``."""

from django.utils.translation import gettext_lazy as _

from portal.registry import SubnavItem

LABEL = _("Data and networks")
TABS = [
    SubnavItem("data:dataset-list", _("Datasets"), current_on=("data:dataset-*", "data:dvc-*")),
    SubnavItem("data:store-list", _("Data stores"), current_on=("data:store-*",)),
    SubnavItem("data:site-list", _("Sites"), current_on=("data:site-*",)),
    SubnavItem("data:link-list", _("Network links"), current_on=("data:link-*",)),
    SubnavItem("data:map", _("Map")),
    SubnavItem("data:findings", _("Findings")),
    SubnavItem("data:advisor", _("Advisor with a dataset")),
]
