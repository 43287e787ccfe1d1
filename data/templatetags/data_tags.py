from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds):
    """5.0 h, 12 min, 40 s; — when unknown."""
    if seconds is None or seconds == "":
        return "—"
    seconds = float(seconds)
    if seconds >= 36 * 3600:
        return _("%(n)s d") % {"n": f"{seconds / 86400:.1f}"}
    if seconds >= 3600:
        return _("%(n)s h") % {"n": f"{seconds / 3600:.1f}"}
    if seconds >= 60:
        return _("%(n)s min") % {"n": f"{seconds / 60:.0f}"}
    return _("%(n)s s") % {"n": f"{seconds:.0f}"}


@register.filter
def size(value):
    """Decimal units, as storage is sold: 2.0 TB, 40.0 GB."""
    if value is None or value == "":
        return "—"
    value = float(value)
    for unit, factor in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if value >= factor:
            return f"{value / factor:.1f} {unit}"
    return f"{value:.0f} B"


@register.filter
def too_slow(seconds, limit_hours):
    return seconds is not None and float(seconds) > float(limit_hours) * 3600
