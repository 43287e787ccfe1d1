"""The skills app's tabs, rendered by ``{% subnav "skills" %}``."""

from django.utils.translation import gettext_lazy as _

from portal.registry import SubnavItem

LABEL = _("Skills")
TABS = [
    SubnavItem("skills:catalogue", _("Skills catalogue"), current_on=("skills:detail",)),
    SubnavItem("skills:coverage", _("Coverage")),
    SubnavItem("skills:mine", _("My levels")),
]
