"""Nodes: added, changed (labels per key), returned, gone."""

from __future__ import annotations

from inventory.choices import ChangeKind, ObjectKind
from inventory.models import Node
from inventory.reconcile.common import (
    BATCH,
    NODE_DERIVED_FIELDS,
    NODE_FIELDS,
    SCOPED_LOAD_LIMIT,
    dedupe,
    diff,
    mark_gone,
    node_values,
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

    tracked = (*NODE_FIELDS, *NODE_DERIVED_FIELDS)
    existing = {r[1]: r for r in qs.values_list("id", "name", "gone_at", *tracked)}
    facts = dedupe(snapshot.nodes, lambda n: n.name, result, "node")
    to_create: list[Node] = []
    to_update: list[Node] = []
    update_fields: set[str] = set()
    for name, fact in facts.items():
        new = node_values(fact)
        row = existing.get(name)
        if row is None:
            obj = Node(cluster=cluster, name=name, first_seen_at=now, changed_at=now, **new)
            to_create.append(obj)
            changes.added(ObjectKind.NODE, name, obj)
            result.added += 1
            continue
        all_diffs = diff(row, 3, tracked, new)
        returned = row[2] is not None
        if not all_diffs and not returned:
            continue
        diffs = [d for d in all_diffs if d[0] not in NODE_DERIVED_FIELDS]
        obj = Node(id=row[0], changed_at=now, gone_at=None, **new)
        to_update.append(obj)
        update_fields.update(d[0] for d in all_diffs)
        if returned:
            changes.simple(ObjectKind.NODE, name, row[0], ChangeKind.RETURNED)
            update_fields.add("gone_at")
            result.added += 1
        result.changed += changes.fields(ObjectKind.NODE, name, row[0], diffs)
    if to_create:
        Node.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        Node.objects.bulk_update(
            to_update, [*sorted(update_fields), "changed_at"], batch_size=BATCH
        )

    vanished = []
    if covered:
        vanished = [(n, r[0]) for n, r in existing.items() if r[2] is None and n not in facts]
        if vanished and not facts:
            result.warnings.append(
                f"the source listed no nodes while {len(vanished)} are known: none marked gone"
            )
            vanished = []
        elif vanished:
            mark_gone(Node, [pk for _n, pk in vanished], now)
            for name, pk in vanished:
                changes.simple(ObjectKind.NODE, name, pk, ChangeKind.GONE)
            result.gone += len(vanished)

    ids = {name: r[0] for name, r in existing.items()}
    ids.update({obj.name: obj.pk for obj in to_create})
    return ids, [name for name, _pk in vanished]
