"""Findings about data and networks, as querysets the database filters (a fixed number
of queries however many datasets there are) and a few rows per kind for the pages.

- ``slow_delivery``: a dataset needs more than ``DATA_DELIVERY_MAX_HOURS`` to reach a
  cluster it is used on (or cannot reach it at all), with a suggestion;
- ``link_below_declared``: the latest measurement is under
  ``DATA_LINK_MEASURED_MIN_PCT`` % of the declared bandwidth;
- ``store_without_site``: nobody can tell how far its data is from the GPUs;
- ``personal_unversioned``: personal data that no tool versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from data.choices import Versioning
from data.delivery import hours, needed_gbps, transfer_seconds
from data.models import Dataset, DataStore, NetworkLink
from data.selectors import Network, dataset_uses_timed, network_load

RULES = {
    "slow_delivery": ("warning", gettext_lazy("Datasets slow to reach their GPUs")),
    "link_below_declared": ("warning", gettext_lazy("Links measured well below declared")),
    "store_without_site": ("info", gettext_lazy("Stores with no site")),
    "personal_unversioned": ("error", gettext_lazy("Personal data without versioning")),
}


@dataclass
class FindingRow:
    subject: str
    url: str
    message: str
    suggestion: str = ""


@dataclass
class FindingGroup:
    code: str
    severity: str
    label: str
    count: int
    rows: list[FindingRow] = field(default_factory=list)


def limit_seconds() -> float:
    return max(0, settings.DATA_DELIVERY_MAX_HOURS) * 3600


def slow_uses(network: Network):
    """(dataset, cluster) uses slower than the limit or with no path, slowest first."""
    return (
        dataset_uses_timed(network)
        .filter(Q(seconds__gt=limit_seconds()) | Q(seconds__isnull=True))
        .exclude(dataset__size_bytes__isnull=True, seconds__isnull=True)
        .order_by(F("seconds").desc(nulls_first=True), "dataset__name", "cluster__name")
    )


def links_below_declared():
    ratio = max(0, min(100, settings.DATA_LINK_MEASURED_MIN_PCT)) / 100
    return (
        NetworkLink.objects.filter(measured_gbps__isnull=False)
        .filter(measured_gbps__lt=F("bandwidth_gbps") * ratio)
        .select_related("site_a", "site_b")
    )


def stores_without_site():
    return DataStore.objects.filter(site__isnull=True).order_by("name")


def personal_unversioned():
    return Dataset.objects.filter(personal_data=True, versioning=Versioning.NONE).select_related(
        "store"
    )


def datasets_with_findings(network: Network):
    slow_ids = slow_uses(network).values("dataset_id")
    return Dataset.objects.filter(
        Q(pk__in=slow_ids) | Q(personal_data=True, versioning=Versioning.NONE)
    )


def _fmt_hours(seconds: float | None) -> str:
    h = hours(seconds)
    return "—" if h is None else f"{h:.1f} h"


def _slow_suggestion(network: Network, dataset: Dataset, cluster_id: int) -> tuple[str, str]:
    delivery = network.delivery(dataset, cluster_id)
    if delivery.route is None:
        if "store_no_site" in delivery.reasons:
            return _("the store has no site"), _("Set the store's site.")
        if "cluster_no_site" in delivery.reasons:
            return _("the cluster has no site"), _("Place the cluster at a site.")
        return _("no network path"), _("Add a link between the store's site and the cluster's.")
    message = _("%(time)s over %(gbps)s Gbit/s") % {
        "time": _fmt_hours(delivery.first_s),
        "gbps": f"{network.route_gbps(delivery.route):g}",
    }
    tips = []
    if delivery.cache_name and delivery.later_s is not None:
        tips.append(
            _("Later reads come from the cache %(cache)s in %(time)s.")
            % {"cache": delivery.cache_name, "time": _fmt_hours(delivery.later_s)}
        )
    elif not delivery.route.local:
        local = transfer_seconds(
            dataset.size_bytes, dataset.file_count, network.params.local_gbps, network.params
        )
        if local is not None and delivery.first_s is not None and local < delivery.first_s:
            tips.append(
                _("A cache at the cluster's site would make later reads take about %(time)s.")
                % {"time": _fmt_hours(local)}
            )
    if not delivery.route.local:
        need = needed_gbps(
            dataset.size_bytes or 0, dataset.file_count, limit_seconds(), network.params
        )
        if need != float("inf"):
            kind = _("a dedicated link") if not delivery.route.all_dedicated else _("a wider link")
            tips.append(
                _("%(kind)s of at least %(gbps)s Gbit/s would bring it under %(hours)s h.")
                % {"kind": kind, "gbps": f"{need:.1f}", "hours": settings.DATA_DELIVERY_MAX_HOURS}
            )
        else:
            tips.append(_("Pack the many small files into larger shards."))
    return message, " ".join(tips)


def findings_compute(*, limit: int = 50, network: Network | None = None) -> list[FindingGroup]:
    """Every kind with its count and its first ``limit`` rows: two queries per kind
    (plus the network's five)."""
    network = network or network_load()
    groups = []

    slow = slow_uses(network).select_related("dataset", "dataset__store", "cluster")
    rows = []
    for use in slow[:limit]:
        message, suggestion = _slow_suggestion(network, use.dataset, use.cluster_id)
        rows.append(
            FindingRow(
                f"{use.dataset.name} → {use.cluster.name}",
                use.dataset.get_absolute_url(),
                message,
                suggestion,
            )
        )
    groups.append(_group("slow_delivery", slow.count(), rows))

    links = links_below_declared()
    rows = [
        FindingRow(
            str(link),
            link.get_absolute_url(),
            _("measured %(measured)s of %(declared)s Gbit/s declared")
            % {"measured": f"{link.measured_gbps:.2f}", "declared": f"{link.bandwidth_gbps:g}"},
            _("Check the link with the provider; delivery times use the measured figure."),
        )
        for link in links.order_by("site_a__name", "site_b__name")[:limit]
    ]
    groups.append(_group("link_below_declared", links.count(), rows))

    stores = stores_without_site()
    rows = [
        FindingRow(
            s.name,
            s.get_absolute_url(),
            _("no site: delivery times of its datasets are unknown"),
            _("Set the site it is at."),
        )
        for s in stores[:limit]
    ]
    groups.append(_group("store_without_site", stores.count(), rows))

    personal = personal_unversioned().order_by("name")
    rows = [
        FindingRow(
            d.name,
            d.get_absolute_url(),
            _("personal data in %(store)s with no versioning") % {"store": d.store.name},
            _("Version it (DVC, lakeFS, Delta/Iceberg) so a deletion request can be traced."),
        )
        for d in personal[:limit]
    ]
    groups.append(_group("personal_unversioned", personal.count(), rows))
    return groups


def _group(code: str, count: int, rows: list[FindingRow]) -> FindingGroup:
    severity, label = RULES[code]
    return FindingGroup(code, severity, str(label), count, rows)
