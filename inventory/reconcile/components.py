"""Software components: workloads keyed by namespace, kind and name."""

from __future__ import annotations

from inventory.choices import ChangeKind, ObjectKind
from inventory.models import Component
from inventory.reconcile.common import (
    BATCH,
    COMPONENT_FIELDS,
    component_values,
    dedupe,
    diff,
    mark_gone,
)


def reconcile_components(cluster, snapshot, now, changes, result) -> None:
    covered = "components" in snapshot.covers
    if not snapshot.components and not covered:
        return
    existing = {
        (r[2], r[3], r[4]): r
        for r in Component.objects.filter(cluster=cluster).values_list(
            "id", "gone_at", "namespace", "kind", "workload_name", *COMPONENT_FIELDS
        )
    }
    facts = dedupe(snapshot.components, lambda c: c.key, result, "workload")
    to_create: list[Component] = []
    to_update: list[Component] = []
    update_fields: set[str] = set()
    for key, fact in facts.items():
        new = component_values(fact)
        label = "/".join(key)
        row = existing.get(key)
        if row is None:
            obj = Component(
                cluster=cluster,
                namespace=fact.namespace,
                kind=fact.kind,
                workload_name=fact.workload_name,
                first_seen_at=now,
                changed_at=now,
                **new,
            )
            to_create.append(obj)
            changes.added(ObjectKind.COMPONENT, label, obj)
            result.added += 1
            continue
        diffs = diff(row, 5, COMPONENT_FIELDS, new)
        returned = row[1] is not None
        if not diffs and not returned:
            continue
        to_update.append(Component(id=row[0], changed_at=now, gone_at=None, **new))
        update_fields.update(d[0] for d in diffs)
        if returned:
            changes.simple(ObjectKind.COMPONENT, label, row[0], ChangeKind.RETURNED)
            update_fields.add("gone_at")
            result.added += 1
        result.changed += changes.fields(ObjectKind.COMPONENT, label, row[0], diffs)
    if to_create:
        Component.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        Component.objects.bulk_update(
            to_update, [*sorted(update_fields), "changed_at"], batch_size=BATCH
        )
    if covered:
        vanished = [(k, r[0]) for k, r in existing.items() if r[1] is None and k not in facts]
        if vanished and not facts:
            result.warnings.append(
                f"the source listed no workloads while {len(vanished)} are known: none marked gone"
            )
        elif vanished:
            mark_gone(Component, [pk for _k, pk in vanished], now)
            for key, pk in vanished:
                changes.simple(ObjectKind.COMPONENT, "/".join(key), pk, ChangeKind.GONE)
            result.gone += len(vanished)
