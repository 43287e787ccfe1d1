"""The decision graph: which record supersedes or amends which, laid out in columns.

By default the page shows a neighbourhood: the records around one record (or around
the latest links), a bounded number of them, whatever the size of the log. The whole
graph is drawn only on request and then kept in the cache under a generation that
the services change whenever a link, a status or a title changes, so drawing it
again costs one cache read and no query."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse

from knowledge.choices import AdrStatus, LinkKind
from knowledge.models import Adr, AdrLink
from portal import generations

GRAPH_KINDS = (LinkKind.SUPERSEDES, LinkKind.AMENDS)
NODE_W, NODE_H, GAP_X, GAP_Y = 220, 44, 80, 20
# A neighbourhood page never draws more records than this, whatever the depth.
MAX_NODES = 60
# How many of the latest links the default page starts from.
LATEST_LINKS = 5
# Links read per step of a neighbourhood: a record linked to thousands stays cheap.
ROW_LIMIT = MAX_NODES * 4
DEPTHS = (1, 2)
GRAPH_SCOPE = "knowledge:adr-graph"  # its portal.generations scope
# Bounds what a change made outside the services (the admin, a shell) can leave stale.
WHOLE_GRAPH_TTL = 6 * 3600


@dataclass
class GraphNode:
    number: int
    title: str
    status: str
    x: int = 0
    y: int = 0
    url: str = ""

    @property
    def code(self) -> str:
        return f"ADR-{self.number:04d}"

    def get_status_display(self) -> str:
        return str(AdrStatus(self.status).label)


@dataclass
class GraphEdge:
    kind: str
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass
class Graph:
    nodes: list[GraphNode] = field(default_factory=list)
    edges: list[GraphEdge] = field(default_factory=list)
    width: int = 0
    height: int = 0
    node_w: int = NODE_W
    node_h: int = NODE_H
    # Records the neighbourhood reached but could not draw within MAX_NODES.
    truncated: bool = False


def graph_changed() -> None:
    """Called by the services that add or remove a link or change a record's status or
    title: the whole graph is drawn again on its next request."""
    generations.changed(GRAPH_SCOPE)


def graph_generation() -> str:
    return generations.token(GRAPH_SCOPE)


def _layout(nodes: dict[int, GraphNode], links: list[tuple[str, int, int]]) -> Graph:
    """A record stands one column to the right of the newest record it replaces or
    amends. ``nodes`` by id, ``links`` as (kind, source id, target id)."""
    # A record removed between the two reads takes its links with it.
    links = [link for link in links if link[1] in nodes and link[2] in nodes]
    outgoing: dict[int, list[int]] = {}
    for _kind, source, target in links:
        outgoing.setdefault(source, []).append(target)
    level: dict[int, int] = {}

    def depth(pk: int, seen: frozenset = frozenset()) -> int:
        if pk in level:
            return level[pk]
        if pk in seen:
            return 0
        targets = outgoing.get(pk, [])
        value = 1 + max((depth(t, seen | {pk}) for t in targets), default=-1)
        level[pk] = value
        return value

    columns: dict[int, list[GraphNode]] = {}
    for pk in sorted(nodes, key=lambda k: nodes[k].number):
        columns.setdefault(depth(pk), []).append(nodes[pk])
    for col, column in columns.items():
        for row, node in enumerate(column):
            node.x = 10 + col * (NODE_W + GAP_X)
            node.y = 10 + row * (NODE_H + GAP_Y)
    edges = [
        GraphEdge(
            kind,
            nodes[source].x,
            nodes[source].y + NODE_H // 2,
            nodes[target].x + NODE_W,
            nodes[target].y + NODE_H // 2,
        )
        for kind, source, target in links
    ]
    return Graph(
        nodes=[node for column in columns.values() for node in column],
        edges=edges,
        width=20 + (max(columns, default=0) + 1) * (NODE_W + GAP_X),
        height=20 + max((len(c) for c in columns.values()), default=0) * (NODE_H + GAP_Y),
    )


def _node(number: int, title: str, status: str) -> GraphNode:
    url = reverse("knowledge:adr-detail", args=[number])
    return GraphNode(number, title, status, url=url)


def _nodes(pks) -> dict[int, GraphNode]:
    """Only the columns a node shows: never the text of a record."""
    rows = Adr.objects.filter(pk__in=pks).values_list("pk", "number", "title", "status")
    return {pk: _node(number, title, status) for pk, number, title, status in rows}


def _graph_links():
    return AdrLink.objects.filter(kind__in=GRAPH_KINDS).order_by()


def whole_graph() -> Graph:
    """Every supersede and amend link with its two ends' number, title and status: one
    query on a cold cache, none on a warm one."""
    key = f"knowledge:adr-graph:whole:{graph_generation()}"
    graph = cache.get(key)
    if graph is None:
        ends = ("source", "target")
        columns = [f"{end}__{name}" for end in ends for name in ("id", "number", "title", "status")]
        nodes: dict[int, GraphNode] = {}
        links = []
        for row in _graph_links().values("kind", *columns):
            for end in ends:
                pk = row[f"{end}__id"]
                if pk not in nodes:
                    nodes[pk] = _node(
                        row[f"{end}__number"], row[f"{end}__title"], row[f"{end}__status"]
                    )
            links.append((row["kind"], row["source__id"], row["target__id"]))
        graph = _layout(nodes, links)
        cache.set(key, graph, WHOLE_GRAPH_TTL)
    return graph


def latest_linked() -> list[int]:
    """Ids of the records at either end of the latest supersede and amend links."""
    rows = _graph_links().order_by("-id").values_list("source_id", "target_id")[:LATEST_LINKS]
    return list(dict.fromkeys(pk for row in rows for pk in row))


def neighbourhood(seeds: list[int], depth: int = 1) -> Graph:
    """The records within ``depth`` links of ``seeds`` and the links between them, at
    most MAX_NODES records: ``depth`` + 2 queries whatever the size of the log."""
    seen = dict.fromkeys(seeds[:MAX_NODES])
    frontier = list(seen)
    truncated = False
    for _step in range(depth):
        if not frontier:
            break
        rows = list(
            _graph_links()
            .filter(Q(source_id__in=frontier) | Q(target_id__in=frontier))
            .order_by("-id")
            .values_list("source_id", "target_id")[:ROW_LIMIT]
        )
        truncated = truncated or len(rows) == ROW_LIMIT
        frontier = []
        for row in rows:
            for pk in row:
                if pk in seen:
                    continue
                if len(seen) >= MAX_NODES:
                    truncated = True
                    continue
                seen[pk] = None
                frontier.append(pk)
    links = (
        list(
            _graph_links()
            .filter(source_id__in=list(seen), target_id__in=list(seen))
            .values_list("kind", "source_id", "target_id")
        )
        if seen
        else []
    )
    graph = _layout(_nodes(list(seen)), links) if seen else Graph()
    graph.truncated = truncated
    return graph
