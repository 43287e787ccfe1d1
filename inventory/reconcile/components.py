"""Software components: workloads keyed by namespace, kind and name."""

from __future__ import annotations

from inventory.choices import ObjectKind
from inventory.models import Component
from inventory.reconcile.common import COMPONENT_FIELDS, component_values, dedupe
from inventory.reconcile.loop import Pass


class ComponentPass(Pass):
    model = Component
    object_kind = ObjectKind.COMPONENT
    what = "workload"
    fields = COMPONENT_FIELDS
    offset = 5

    def values(self, fact) -> dict:
        return component_values(fact)

    def new(self, key, fact) -> Component:
        return Component(
            cluster=self.cluster,
            namespace=fact.namespace,
            kind=fact.kind,
            workload_name=fact.workload_name,
            first_seen_at=self.now,
            changed_at=self.now,
            **self.values(fact),
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
    ComponentPass(cluster, now, changes, result).run(existing, facts, covered=covered)
