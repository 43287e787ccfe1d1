"""Sparklines: a series of numbers drawn as a small inline SVG, rendered on the server.

No JavaScript and nothing fetched: an air-gapped browser shows it as it shows the page.
Any app passes its values (oldest first, None where nothing was measured, which
leaves a gap) and a title; the picture carries its figures as words too — ``role="img"``
with an ``aria-label`` such as "GPU allocation over the last day: min 2, max 8, now 6"
— for screen readers, and as the tooltip (``<title>``) for everybody.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.template.defaultfilters import floatformat
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

WIDTH, HEIGHT, PAD = 120, 28, 2


def _number(value: float, unit: str) -> str:
    return f"{floatformat(value, -1)}{unit}"


def sparkline_label(values: Sequence[float], title: str, unit: str = "") -> str:
    return _("%(title)s: min %(min)s, max %(max)s, now %(now)s") % {
        "title": title,
        "min": _number(min(values), unit),
        "max": _number(max(values), unit),
        "now": _number(values[-1], unit),
    }


def sparkline_points(
    values: Sequence[float | None],
    *,
    floor: float | None = 0,
    ceiling: float | None = None,
    width: int = WIDTH,
    height: int = HEIGHT,
    pad: float = PAD,
) -> list[list[tuple[float, float]]]:
    """The runs of measured values as (x, y) points in the box, ``pad`` inside its
    edges, y downwards; a value of None ends a run. The scale runs from ``floor`` (the
    lowest value when None) to the highest value or ``ceiling``, whichever is higher.
    Any evenly spaced series draws through this (a link's iperf3 intervals too)."""
    known = [v for v in values if v is not None]
    if not known:
        return []
    low = min(known) if floor is None else min(floor, min(known))
    high = max(max(known), low if ceiling is None else ceiling)
    span = (high - low) or 1
    step = (width - 2 * pad) / (len(values) - 1) if len(values) > 1 else 0
    runs: list[list[tuple[float, float]]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        x = pad + i * step if len(values) > 1 else width / 2
        y = pad + (1 - (value - low) / span) * (height - 2 * pad)
        runs[-1].append((round(x, 1), round(y, 1)))
    return [run for run in runs if run]


def sparkline_svg(
    values: Sequence[float | None],
    title: str,
    *,
    unit: str = "",
    floor: float | None = 0,
    ceiling: float | None = None,
) -> SafeString:
    known = [v for v in values if v is not None]
    if not known:
        return format_html('<span class="sparkline-empty muted">{}</span>', _("No history yet."))
    label = sparkline_label(known, title, unit)
    shapes = []
    for run in sparkline_points(values, floor=floor, ceiling=ceiling):
        if len(run) == 1:
            shapes.append(format_html('<circle cx="{}" cy="{}" r="1.5"/>', *run[0]))
        else:
            points = " ".join(f"{x},{y}" for x, y in run)
            shapes.append(format_html('<polyline points="{}"/>', points))
    return format_html(
        '<span class="sparkline"><svg role="img" aria-label="{}" viewBox="0 0 {} {}" '
        'width="{}" height="{}"><title>{}</title>{}</svg>'
        '<span class="sparkline-now" aria-hidden="true">{}</span></span>',
        label,
        WIDTH,
        HEIGHT,
        WIDTH,
        HEIGHT,
        label,
        format_html_join("", "{}", ((s,) for s in shapes)),
        _number(known[-1], unit),
    )
