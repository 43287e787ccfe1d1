"""The one pass every kind of item goes through: create what is new, write what
changed (recording each field), bring back what returned, mark gone what is no longer
listed. A kind says how its rows are keyed and compared; the pass does the rest with
one ``bulk_create``, one ``bulk_update`` and one ``UPDATE`` per batch, never a query per
row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from inventory.choices import ChangeKind
from inventory.reconcile.common import BATCH, Changes, ReconcileResult, diff, mark_gone


@dataclass
class Update:
    """What to write for a known item: the object (its ``id`` set), the fields of the
    UPDATE, the field changes to record, and whether it had been gone."""

    obj: Model
    fields: set[str]
    recorded: list[tuple[str, Any, Any]] = field(default_factory=list)
    returned: bool = False


class Pass:
    """One kind's pass over a snapshot. Loaded rows are tuples that start with ``id``
    and ``gone_at``; the compared ``fields`` sit at ``offset``. A kind overrides what
    differs: how a new object is made, how a known row compares, what is gone."""

    model: type[Model]
    object_kind: str
    what: str  # one item, in warnings ("node", "workload")
    fields: tuple[str, ...]  # compared and written
    silent: frozenset[str] = frozenset()  # stored, but recorded as a change of another field
    offset: int

    def __init__(self, cluster, now, changes: Changes, result: ReconcileResult) -> None:
        self.cluster, self.now, self.changes, self.result = cluster, now, changes, result

    # --- what a kind says -------------------------------------------------------------

    def label(self, key) -> str:
        return "/".join(key) if isinstance(key, tuple) else str(key)

    def values(self, fact) -> dict[str, Any]:
        raise NotImplementedError

    def new(self, key, fact) -> Model | None:
        """The object for an item seen for the first time (None: leave it out)."""
        raise NotImplementedError

    def history(self, diffs: list[tuple]) -> list[tuple]:
        """The field changes as the change log keeps them (JSON)."""
        return diffs

    def update(self, row: tuple, fact) -> Update | None:
        new = self.values(fact)
        diffs = diff(row, self.offset, self.fields, new)
        returned = row[1] is not None
        if not diffs and not returned:
            return None
        obj = self.model(id=row[0], changed_at=self.now, gone_at=None, **new)
        recorded = [d for d in diffs if d[0] not in self.silent]
        return Update(obj, {d[0] for d in diffs} | {"changed_at"}, recorded, returned)

    def vanished(self, existing: dict, facts: dict, covered: bool) -> list[tuple[Any, int]]:
        """(key, id) of the present items a covered list no longer names. A covered
        list that comes back empty is not trusted: a source that lost its view says
        nothing, it does not say everything is gone."""
        if not covered:
            return []
        gone = [(k, r[0]) for k, r in existing.items() if r[1] is None and k not in facts]
        if gone and not facts:
            self.result.warnings.append(
                f"the source listed no {self.what}s while {len(gone)} are known: none marked gone"
            )
            return []
        return gone

    # --- the pass -----------------------------------------------------------------------

    def run(self, existing: dict, facts: dict, *, covered: bool) -> tuple[list[Model], list]:
        """Apply ``facts`` (by key) over ``existing`` rows (by key). Returns the objects
        created (with their ids) and the (key, id) of those marked gone."""
        to_create: list[Model] = []
        to_update: list[Model] = []
        update_fields: set[str] = set()
        for key, fact in facts.items():
            row = existing.get(key)
            if row is None:
                obj = self.new(key, fact)
                if obj is not None:
                    to_create.append(obj)
                    self.changes.added(self.object_kind, self.label(key), obj)
                    self.result.added += 1
                continue
            update = self.update(row, fact)
            if update is None:
                continue
            to_update.append(update.obj)
            update_fields |= update.fields
            if update.returned:
                self.changes.simple(self.object_kind, self.label(key), row[0], ChangeKind.RETURNED)
                update_fields.add("gone_at")
                self.result.added += 1
            self.result.changed += self.changes.fields(
                self.object_kind, self.label(key), row[0], self.history(update.recorded)
            )
        if to_create:
            self.model.objects.bulk_create(to_create, batch_size=BATCH)
        if to_update:
            self.model.objects.bulk_update(to_update, sorted(update_fields), batch_size=BATCH)
        gone = self.vanished(existing, facts, covered)
        self.mark_gone(gone)
        return to_create, gone

    def mark_gone(self, gone: Iterable[tuple[Any, int]]) -> None:
        gone = list(gone)
        if not gone:
            return
        mark_gone(self.model, [pk for _key, pk in gone], self.now)
        for key, pk in gone:
            self.changes.simple(self.object_kind, self.label(key), pk, ChangeKind.GONE)
        self.result.gone += len(gone)
