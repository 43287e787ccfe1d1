"""Coordinates for the server-side SVG pictures (the map of sites and a link's
measurement history); the templates draw them and escape every name."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max
from django.urls import reverse

from data.delivery import transfer_seconds
from data.models import Dataset, DataStore
from data.selectors import Network, placements_by_site
from portal.sparkline import sparkline_points

BOX_W = 260
LINE_H = 16


@dataclass
class MapSite:
    pk: int
    name: str
    url: str
    x: float
    y: float
    h: float
    lines: list[tuple[str, str]]  # (kind: "store" | "cache" | "cluster", text)

    @property
    def left(self) -> int:  # whole pixels, so templates can offset them with |add
        return round(self.x - BOX_W / 2)

    @property
    def top(self) -> int:
        return round(self.y - self.h / 2)


@dataclass
class MapLink:
    url: str
    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    colour: str  # a CSS class: fast / slow / too-slow / unknown
    hours: float | None

    @property
    def mx(self) -> float:
        return round((self.x1 + self.x2) / 2, 1)

    @property
    def my(self) -> float:
        return round((self.y1 + self.y2) / 2, 1)


def site_map(network: Network) -> dict:
    """Four queries on top of the network: stores, placements, the largest dataset."""
    stores: dict[int, list[DataStore]] = {}
    for store in (
        DataStore.objects.filter(site__isnull=False)
        .order_by("name")
        .only("id", "name", "kind", "site_id")
    ):
        stores.setdefault(store.site_id, []).append(store)
    clusters = placements_by_site()
    largest = Dataset.objects.aggregate(m=Max("size_bytes"))["m"]
    sites = list(network.sites.values())
    n = len(sites)
    heights = [
        40 + LINE_H * (len(stores.get(s.pk, [])) + len(clusters.get(s.pk, []))) for s in sites
    ]
    radius_x = 0 if n < 2 else 300
    radius_y = 0 if n < 2 else 170
    width = 2 * radius_x + BOX_W + 40
    height = 2 * radius_y + max(heights or [60]) + 40
    cx, cy = width / 2, height / 2
    placed = {}
    for i, (site, h) in enumerate(zip(sites, heights, strict=True)):
        angle = math.pi + 2 * math.pi * i / max(n, 1)
        lines = [
            ("cache" if st.is_cache else "store", f"{st.name} · {st.get_kind_display()}")
            for st in stores.get(site.pk, [])
        ]
        lines += [("cluster", name) for name in clusters.get(site.pk, [])]
        placed[site.pk] = MapSite(
            site.pk,
            site.name,
            site.get_absolute_url(),
            round(cx + radius_x * math.cos(angle), 1),
            round(cy + radius_y * math.sin(angle), 1),
            h,
            lines,
        )
    limit_h = settings.DATA_DELIVERY_MAX_HOURS
    links = []
    for edge in network.edges:
        a, b = placed.get(edge.a), placed.get(edge.b)
        if a is None or b is None:
            continue
        seconds = transfer_seconds(largest, 0, edge.gbps, network.params) if largest else None
        h = None if seconds is None else seconds / 3600
        colour = (
            "unknown" if h is None else "fast" if h < 1 else "slow" if h <= limit_h else "too-slow"
        )
        links.append(
            MapLink(
                url=reverse("data:link-detail", args=[edge.link_id]),
                x1=a.x,
                y1=a.y,
                x2=b.x,
                y2=b.y,
                label=f"{edge.gbps:g} Gbit/s" + (f" · {h:.1f} h" if h is not None else ""),
                colour=colour,
                hours=h,
            )
        )
    return {
        "width": round(width),
        "height": round(height),
        "sites": list(placed.values()),
        "links": links,
        "largest_tb": (largest or 0) / 1e12,
        "limit_hours": limit_h,
        "box_w": BOX_W,
    }


def history_chart(
    measurements, declared_gbps: float, *, width: int = 640, height: int = 200
) -> dict | None:
    """A line of the measured Gbit/s over time, with the declared bandwidth dashed."""
    if not measurements:
        return None
    pad = 36
    times = [m.measured_at.timestamp() for m in measurements]
    top = max([declared_gbps, *(m.gbps for m in measurements)]) * 1.1 or 1
    t0, t1 = min(times), max(times)
    span = (t1 - t0) or 1

    def x(t):
        return pad + (width - 2 * pad) * ((t - t0) / span if t1 > t0 else 0.5)

    def y(v):
        return height - pad - (height - 2 * pad) * v / top

    points = [
        (round(x(t), 1), round(y(m.gbps), 1), m) for t, m in zip(times, measurements, strict=True)
    ]
    return {
        "width": width,
        "height": height,
        "points": points,
        "polyline": " ".join(f"{px},{py}" for px, py, _m in points),
        "declared_y": round(y(declared_gbps), 1),
        "declared_label_y": round(y(declared_gbps) - 4, 1),
        "top": top,
        "top_y": pad,
        "bottom_y": height - pad,
        "pad": pad,
        "right": width - pad,
        "first": measurements[0].measured_at,
        "last": measurements[-1].measured_at,
    }


def interval_chart(intervals: list[float], *, width: int = 640, height: int = 120) -> dict | None:
    """The last measurement's per-interval Gbit/s, drawn like every evenly spaced
    series (``portal.sparkline.sparkline_points``) in a larger box."""
    if not intervals:
        return None
    top = max(intervals) * 1.1 or 1
    [points] = sparkline_points(intervals, floor=0, ceiling=top, width=width, height=height, pad=24)
    return {
        "width": width,
        "height": height,
        "polyline": " ".join(f"{x},{y}" for x, y in points),
        "top": top,
        "n": len(intervals),
    }
