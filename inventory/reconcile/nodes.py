"""Nodes: added, changed (labels per key), returned, gone."""

from __future__ import annotations

from inventory.choices import ObjectKind
from inventory.models import Node
from inventory.reconcile.common import (
    NODE_DERIVED_FIELDS,
    NODE_FIELDS,
    SCOPED_LOAD_LIMIT,
    dedupe,
    node_values,
)
from inventory.reconcile.loop import Pass


class NodePass(Pass):
    model = Node
    object_kind = ObjectKind.NODE
    what = "node"
    fields = (*NODE_FIELDS, *NODE_DERIVED_FIELDS)
    silent = frozenset(NODE_DERIVED_FIELDS)
    offset = 3

    def values(self, fact) -> dict:
        return node_values(fact)

    def new(self, key, fact) -> Node:
        return Node(
            cluster=self.cluster,
            name=key,
            first_seen_at=self.now,
            changed_at=self.now,
            **self.values(fact),
        )


def reconcile_nodes(cluster, snapshot, now, changes, result) -> tuple[dict[str, int], list[str]]:
    """Returns {node name: id} for every node the GPUs may refer to, and the names of
    the nodes marked gone."""
    covered = "nodes" in snapshot.covers
    if covered or len(snapshot.nodes) > SCOPED_LOAD_LIMIT:
        qs = Node.objects.filter(cluster=cluster)
    elif snapshot.nodes:
        # A partial update (a watch event): only the nodes it names, and those its GPUs
        # sit on, so that one node's change does not load a 5,000-node cluster.
        names = {n.name for n in snapshot.nodes} | {g.node_name for g in snapshot.gpus}
        qs = Node.objects.filter(cluster=cluster, name__in=names)
    else:
        names = {g.node_name for g in snapshot.gpus}
        if not names:
            return {}, []
        qs = Node.objects.filter(cluster=cluster, name__in=names)
    if not snapshot.nodes and not covered:
        return dict(qs.values_list("name", "id")), []

    nodes = NodePass(cluster, now, changes, result)
    existing = {r[2]: r for r in qs.values_list("id", "gone_at", "name", *nodes.fields)}
    facts = dedupe(snapshot.nodes, lambda n: n.name, result, "node")
    created, gone = nodes.run(existing, facts, covered=covered)
    ids = {name: r[0] for name, r in existing.items()}
    ids.update({obj.name: obj.pk for obj in created})
    return ids, [name for name, _pk in gone]
