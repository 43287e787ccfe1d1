"""How long a dataset takes to reach the GPUs: plain arithmetic over the site graph.

The best path between two sites is the *widest* one (the largest bottleneck
bandwidth; among equally wide paths the lowest total latency), because a bulk copy
is limited by its narrowest link, not by the number of hops. The time is

    size × 8 ÷ (bottleneck × efficiency) + files × per-file cost

with the efficiency (the share of a link a bulk copy gets) and the per-file cost
from settings (``DATA_LINK_EFFICIENCY_PCT``, ``DATA_PER_FILE_MS``). Inside one site
the copy runs at ``DATA_LOCAL_GBPS``. Nothing here touches the database.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class Edge:
    link_id: int
    a: int
    b: int
    gbps: float
    latency_ms: float = 0.0
    dedicated: bool = False

    def other(self, site_id: int) -> int:
        return self.b if site_id == self.a else self.a


@dataclass(frozen=True)
class Route:
    """``links`` empty and ``local`` true: the data is at the GPUs' own site."""

    sites: tuple[int, ...]
    links: tuple[Edge, ...]
    bottleneck_gbps: float
    latency_ms: float
    local: bool = False

    @property
    def bottleneck(self) -> Edge | None:
        return min(self.links, key=lambda e: e.gbps) if self.links else None

    @property
    def all_dedicated(self) -> bool:
        return all(e.dedicated for e in self.links)


@dataclass(frozen=True)
class Params:
    efficiency: float
    per_file_s: float
    local_gbps: float

    @classmethod
    def from_settings(cls) -> Params:
        return cls(
            efficiency=max(1, min(100, settings.DATA_LINK_EFFICIENCY_PCT)) / 100,
            per_file_s=max(0, settings.DATA_PER_FILE_MS) / 1000,
            local_gbps=max(1, settings.DATA_LOCAL_GBPS),
        )


def widest_paths(edges: list[Edge], source: int) -> dict[int, Route]:
    """The widest route from ``source`` to every site it reaches (itself included, as a
    local route)."""
    adjacent: dict[int, list[Edge]] = {}
    for edge in edges:
        adjacent.setdefault(edge.a, []).append(edge)
        adjacent.setdefault(edge.b, []).append(edge)
    best: dict[int, Route] = {}
    # Max-heap on width, then min on latency; the counter keeps tuples comparable.
    heap = [(-float("inf"), 0.0, 0, source, (source,), ())]
    counter = 1
    while heap:
        neg_width, latency, _n, site, sites, links = heapq.heappop(heap)
        if site in best:
            continue
        width = -neg_width
        best[site] = Route(
            sites=sites,
            links=links,
            bottleneck_gbps=width,
            latency_ms=latency,
            local=not links,
        )
        for edge in adjacent.get(site, ()):
            nxt = edge.other(site)
            if nxt in best:
                continue
            heapq.heappush(
                heap,
                (
                    -min(width, edge.gbps),
                    latency + (edge.latency_ms or 0.0),
                    counter,
                    nxt,
                    (*sites, nxt),
                    (*links, edge),
                ),
            )
            counter += 1
    return best


def widest_path(edges: list[Edge], source: int, target: int) -> Route | None:
    return widest_paths(edges, source).get(target)


def transfer_seconds(
    size_bytes: int | None, file_count: int | None, gbps: float, params: Params
) -> float | None:
    """Seconds to copy ``size_bytes`` in ``file_count`` files at ``gbps``; None when the
    size is unknown."""
    if size_bytes is None or gbps <= 0:
        return None
    return size_bytes * 8 / (gbps * 1e9 * params.efficiency) + (file_count or 0) * params.per_file_s


def route_gbps(route: Route, params: Params) -> float:
    return params.local_gbps if route.local else route.bottleneck_gbps


@dataclass(frozen=True)
class Delivery:
    """A dataset's way to one cluster: ``first_s`` over the network, ``later_s`` from a
    cache at the cluster's site when there is one that can hold it."""

    cluster_id: int
    cluster_name: str
    site_id: int | None
    route: Route | None
    first_s: float | None
    cache_name: str = ""
    cache_fits: bool = True
    later_s: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        return self.route is not None

    @property
    def ready_s(self) -> float | None:
        return self.first_s


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


def needed_gbps(size_bytes: int, file_count: int | None, limit_s: float, params: Params) -> float:
    """The bottleneck bandwidth that would bring the copy under ``limit_s``; infinite
    when the per-file cost alone exceeds it."""
    left = limit_s - (file_count or 0) * params.per_file_s
    if left <= 0:
        return float("inf")
    return size_bytes * 8 / (left * 1e9 * params.efficiency)
