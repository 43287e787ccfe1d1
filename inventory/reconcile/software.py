"""Certificates and storage: items keyed by (namespace, kind, name), like components."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime

from inventory.choices import ObjectKind
from inventory.models import Certificate, Volume
from inventory.reconcile.common import dedupe, plain
from inventory.reconcile.loop import Pass

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


class _NamespacedPass(Pass):
    """Items keyed by (namespace, kind, name); the change log keeps expiries as text."""

    offset = 5

    def label(self, key) -> str:
        return "/".join(k for k in key if k)

    def history(self, diffs: list[tuple]) -> list[tuple]:
        return [(n, _json(old), _json(v)) for n, old, v in diffs]

    def new(self, key, fact):
        return self.model(
            cluster=self.cluster,
            namespace=fact.namespace,
            kind=fact.kind,
            name=fact.name,
            first_seen_at=self.now,
            changed_at=self.now,
            **self.values(fact),
        )


class CertificatePass(_NamespacedPass):
    model = Certificate
    object_kind = what = ObjectKind.CERTIFICATE
    fields = CERTIFICATE_FIELDS

    def values(self, fact) -> dict:
        return _certificate_values(fact)


class VolumePass(_NamespacedPass):
    model = Volume
    object_kind = what = ObjectKind.VOLUME
    fields = VOLUME_FIELDS

    def values(self, fact) -> dict:
        return _volume_values(fact)


def _reconcile(kind: type[_NamespacedPass], facts_list, covered: bool, now, changes, result):
    if not facts_list and not covered:
        return
    existing = {
        (r[2], r[3], r[4]): r
        for r in kind.model.objects.filter(cluster=changes.cluster).values_list(
            "id", "gone_at", "namespace", "kind", "name", *kind.fields
        )
    }
    facts = dedupe(facts_list, lambda f: f.key, result, kind.object_kind)
    kind(changes.cluster, now, changes, result).run(existing, facts, covered=covered)


def reconcile_software(cluster, snapshot, now, changes, result) -> None:
    certificates = snapshot.certificates
    _reconcile(
        CertificatePass, certificates, "certificates" in snapshot.covers, now, changes, result
    )
    volumes = snapshot.volumes
    _reconcile(VolumePass, volumes, "volumes" in snapshot.covers, now, changes, result)
