"""Certificates and storage: items keyed by (namespace, kind, name), like components."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime

from inventory.choices import ChangeKind, ObjectKind
from inventory.models import Certificate, Volume
from inventory.reconcile.common import BATCH, dedupe, diff, mark_gone, plain

CERTIFICATE_FIELDS = ("hosts", "secret_name", "issuer", "not_after", "ready")
VOLUME_FIELDS = ("storage_class", "size_bytes", "access_modes", "phase", "detail")


def _certificate_values(fact) -> dict:
    values = {f: plain(getattr(fact, f)) for f in CERTIFICATE_FIELDS}
    values["not_after"] = parse_datetime(fact.not_after) if fact.not_after else None
    return values


def _volume_values(fact) -> dict:
    return {f: plain(getattr(fact, f)) for f in VOLUME_FIELDS}


def _json(value):
    """Change history is JSON: an expiry is kept as its ISO 8601 text."""
    return value.isoformat() if hasattr(value, "isoformat") else value


def _reconcile(model, object_kind, facts_list, covered, names, values, now, changes, result):
    if not facts_list and not covered:
        return
    existing = {
        (r[2], r[3], r[4]): r
        for r in model.objects.filter(cluster=changes.cluster).values_list(
            "id", "gone_at", "namespace", "kind", "name", *names
        )
    }
    facts = dedupe(facts_list, lambda f: f.key, result, object_kind)
    to_create, to_update, update_fields = [], [], set()
    for key, fact in facts.items():
        new = values(fact)
        label = "/".join(k for k in key if k)
        row = existing.get(key)
        if row is None:
            obj = model(
                cluster=changes.cluster,
                namespace=fact.namespace,
                kind=fact.kind,
                name=fact.name,
                first_seen_at=now,
                changed_at=now,
                **new,
            )
            to_create.append(obj)
            changes.added(object_kind, label, obj)
            result.added += 1
            continue
        diffs = diff(row, 5, names, new)
        returned = row[1] is not None
        if not diffs and not returned:
            continue
        to_update.append(model(id=row[0], changed_at=now, gone_at=None, **new))
        update_fields.update(d[0] for d in diffs)
        if returned:
            changes.simple(object_kind, label, row[0], ChangeKind.RETURNED)
            update_fields.add("gone_at")
            result.added += 1
        history = [(n, _json(old), _json(v)) for n, old, v in diffs]
        result.changed += changes.fields(object_kind, label, row[0], history)
    if to_create:
        model.objects.bulk_create(to_create, batch_size=BATCH)
    if to_update:
        model.objects.bulk_update(
            to_update, [*sorted(update_fields), "changed_at"], batch_size=BATCH
        )
    if covered:
        vanished = [(k, r[0]) for k, r in existing.items() if r[1] is None and k not in facts]
        if vanished and not facts:
            result.warnings.append(
                f"the source listed no {object_kind}s while {len(vanished)} are known: "
                "none marked gone"
            )
        elif vanished:
            mark_gone(model, [pk for _k, pk in vanished], now)
            for key, pk in vanished:
                changes.simple(object_kind, "/".join(k for k in key if k), pk, ChangeKind.GONE)
            result.gone += len(vanished)


def reconcile_software(cluster, snapshot, now, changes, result) -> None:
    _reconcile(
        Certificate,
        ObjectKind.CERTIFICATE,
        snapshot.certificates,
        "certificates" in snapshot.covers,
        CERTIFICATE_FIELDS,
        _certificate_values,
        now,
        changes,
        result,
    )
    _reconcile(
        Volume,
        ObjectKind.VOLUME,
        snapshot.volumes,
        "volumes" in snapshot.covers,
        VOLUME_FIELDS,
        _volume_values,
        now,
        changes,
        result,
    )
