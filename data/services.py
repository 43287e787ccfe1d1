"""Every write of the data app: sites, stores, datasets, links, placements and
measurements. Readers read (``data.read``), editors edit (``data.edit``), admins
delete (``data.delete``) — the inventory's split."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from data.models import (
    ClusterPlacement,
    Dataset,
    DataStore,
    LinkMeasurement,
    NetworkLink,
    Site,
)
from portal.audit import audit_record
from portal.errors import WorkflowError
from portal.policy import require

SITE_FIELDS = ("name", "kind", "location", "description", "is_demo")
STORE_FIELDS = (
    "name",
    "kind",
    "site",
    "capacity_bytes",
    "endpoint",
    "owner_role",
    "description",
    "is_demo",
)
DATASET_FIELDS = (
    "name",
    "store",
    "path",
    "size_bytes",
    "file_count",
    "format",
    "owner_role",
    "personal_data",
    "versioning",
    "version_ref",
    "procedure",
    "used_by",
    "description",
    "last_updated",
    "is_demo",
)
LINK_FIELDS = (
    "site_a",
    "site_b",
    "name",
    "bandwidth_gbps",
    "latency_ms",
    "dedicated",
    "description",
    "is_demo",
)


def require_unless_system(actor, action: str, obj=None) -> None:
    """``actor=None`` is the system (the seeder, a command run without ``--as``);
    people, signed in or not, go through policy."""
    if actor is not None:
        require(actor, action, obj)


def _snapshot(obj, fields) -> dict:
    """Field values for the audit row: related objects by key."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        values[name] = getattr(obj, field.attname)
    return values


def _check_fields(values: dict, fields) -> None:
    unknown = set(values) - set(fields)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(sorted(unknown))}")


def _create(model, fields, *, actor, verb: str, values: dict):
    require_unless_system(actor, "data.edit")
    _check_fields(values, fields)
    obj = model(**values)
    obj.full_clean()
    obj.save()
    audit_record(actor=actor, verb=verb, obj=obj, after=_snapshot(obj, fields))
    return obj


def _update(obj, fields, *, actor, verb: str, changes: dict):
    require_unless_system(actor, "data.edit", obj)
    _check_fields(changes, fields)
    before = _snapshot(obj, fields)
    for name, value in changes.items():
        setattr(obj, name, value)
    obj.full_clean()
    obj.save()
    after = _snapshot(obj, fields)
    changed = {k for k in fields if before[k] != after[k]}
    audit_record(
        actor=actor,
        verb=verb,
        obj=obj,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return obj


def _delete(obj, fields, *, actor, verb: str) -> None:
    require_unless_system(actor, "data.delete", obj)
    audit_record(actor=actor, verb=verb, obj=obj, before=_snapshot(obj, fields))
    obj.delete()


# --- Sites --------------------------------------------------------------------------


@transaction.atomic
def site_create(*, actor, **values: Any) -> Site:
    return _create(Site, SITE_FIELDS, actor=actor, verb="data.site_create", values=values)


@transaction.atomic
def site_update(*, actor, site: Site, **changes: Any) -> Site:
    return _update(site, SITE_FIELDS, actor=actor, verb="data.site_update", changes=changes)


@transaction.atomic
def site_delete(*, actor, site: Site) -> None:
    """A site goes with its links and placements; its stores stay, without a site (a
    finding until they are placed again)."""
    _delete(site, SITE_FIELDS, actor=actor, verb="data.site_delete")


@transaction.atomic
def cluster_place(*, actor, cluster, site: Site | None) -> ClusterPlacement | None:
    """Put a cluster at a site (``site=None``: nowhere known)."""
    require_unless_system(actor, "data.edit", cluster)
    current = ClusterPlacement.objects.filter(cluster=cluster).select_related("site").first()
    before = {"site": current.site_id if current else None}
    if site is None:
        if current is not None:
            current.delete()
        placement = None
    elif current is None:
        placement = ClusterPlacement.objects.create(cluster=cluster, site=site)
    else:
        current.site = site
        current.save(update_fields=["site"])
        placement = current
    after = {"site": site.pk if site else None}
    if before != after:
        audit_record(
            actor=actor, verb="data.cluster_place", obj=cluster, before=before, after=after
        )
    return placement


# --- Stores -------------------------------------------------------------------------


@transaction.atomic
def store_create(*, actor, **values: Any) -> DataStore:
    return _create(DataStore, STORE_FIELDS, actor=actor, verb="data.store_create", values=values)


@transaction.atomic
def store_update(*, actor, store: DataStore, **changes: Any) -> DataStore:
    return _update(store, STORE_FIELDS, actor=actor, verb="data.store_update", changes=changes)


@transaction.atomic
def store_delete(*, actor, store: DataStore) -> None:
    require_unless_system(actor, "data.delete", store)
    if store.datasets.exists():
        raise WorkflowError(
            _("%(store)s still holds datasets; move or delete them first.") % {"store": store},
            code="store_not_empty",
        )
    _delete(store, STORE_FIELDS, actor=actor, verb="data.store_delete")


# --- Datasets -----------------------------------------------------------------------


@transaction.atomic
def dataset_create(*, actor, clusters=None, **values: Any) -> Dataset:
    dataset = _create(
        Dataset, DATASET_FIELDS, actor=actor, verb="data.dataset_create", values=values
    )
    if clusters:
        dataset.clusters.set(clusters)
        audit_record(
            actor=actor,
            verb="data.dataset_clusters",
            obj=dataset,
            after={"clusters": sorted(c.pk for c in clusters)},
        )
    return dataset


@transaction.atomic
def dataset_update(*, actor, dataset: Dataset, clusters=None, **changes: Any) -> Dataset:
    dataset = _update(
        dataset, DATASET_FIELDS, actor=actor, verb="data.dataset_update", changes=changes
    )
    if clusters is not None:
        before = sorted(dataset.clusters.values_list("pk", flat=True))
        after = sorted(c.pk for c in clusters)
        if before != after:
            dataset.clusters.set(clusters)
            audit_record(
                actor=actor,
                verb="data.dataset_clusters",
                obj=dataset,
                before={"clusters": before},
                after={"clusters": after},
            )
    return dataset


@transaction.atomic
def dataset_delete(*, actor, dataset: Dataset) -> None:
    _delete(dataset, DATASET_FIELDS, actor=actor, verb="data.dataset_delete")


# --- Links and measurements ---------------------------------------------------------


@transaction.atomic
def link_create(*, actor, **values: Any) -> NetworkLink:
    return _create(NetworkLink, LINK_FIELDS, actor=actor, verb="data.link_create", values=values)


@transaction.atomic
def link_update(*, actor, link: NetworkLink, **changes: Any) -> NetworkLink:
    return _update(link, LINK_FIELDS, actor=actor, verb="data.link_update", changes=changes)


@transaction.atomic
def link_delete(*, actor, link: NetworkLink) -> None:
    _delete(link, LINK_FIELDS, actor=actor, verb="data.link_delete")


def _latest_to_link(link: NetworkLink) -> None:
    latest = link.measurements.order_by("-measured_at", "-id").first()
    link.measured_gbps = latest.gbps if latest else None
    link.measured_at = latest.measured_at if latest else None
    link.measured_how = latest.how[:300] if latest else ""
    link.save(update_fields=["measured_gbps", "measured_at", "measured_how", "updated_at"])


@transaction.atomic
def measurement_record(
    *,
    actor,
    link: NetworkLink,
    gbps: float,
    measured_at=None,
    how: str = "",
    sent_gbps: float | None = None,
    duration_s: float | None = None,
    protocol: str = "",
    streams: int | None = None,
    intervals: list[float] | None = None,
    source_name: str = "",
) -> tuple[LinkMeasurement, bool]:
    """Keep one measurement of a link; the newest becomes the link's measured
    bandwidth. The same file recorded twice is kept once (``created`` False)."""
    require_unless_system(actor, "data.edit", link)
    measured_at = measured_at or timezone.now()
    existing = LinkMeasurement.objects.filter(
        link=link, measured_at=measured_at, source_name=source_name[:255]
    ).first()
    if existing is not None and source_name:
        return existing, False
    measurement = LinkMeasurement(
        link=link,
        measured_at=measured_at,
        gbps=gbps,
        sent_gbps=sent_gbps,
        duration_s=duration_s,
        protocol=protocol[:10],
        streams=streams,
        how=how[:300],
        intervals=list(intervals or [])[:3600],
        source_name=source_name[:255],
    )
    measurement.full_clean()
    measurement.save()
    _latest_to_link(link)
    audit_record(
        actor=actor,
        verb="data.link_measure",
        obj=link,
        after={
            "gbps": round(gbps, 4),
            "measured_at": measured_at,
            "how": how[:300],
            "file": source_name[:255],
        },
    )
    return measurement, True


@transaction.atomic
def measurement_delete(*, actor, measurement: LinkMeasurement) -> None:
    require_unless_system(actor, "data.delete", measurement)
    link = measurement.link
    audit_record(
        actor=actor,
        verb="data.link_measurement_delete",
        obj=link,
        before={"gbps": measurement.gbps, "measured_at": measurement.measured_at},
    )
    measurement.delete()
    _latest_to_link(link)
