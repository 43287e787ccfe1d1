"""The data and networks cards of the platform map and the node page's section."""

from __future__ import annotations

from django.urls import reverse

from portal.home import PANEL_TTL, cached_panel


def _data_figures() -> dict:
    from data.findings import datasets_with_findings
    from data.models import Dataset, DataStore
    from data.selectors import kind_totals, network_load

    network = network_load()
    return {
        "datasets": Dataset.objects.count(),
        "stores": DataStore.objects.count(),
        "by_kind": kind_totals(),
        "with_findings": datasets_with_findings(network).count(),
        "url": reverse("data:dataset-list"),
        "findings_url": reverse("data:findings"),
    }


def _networks_figures() -> dict:
    from data.delivery import hours
    from data.findings import links_below_declared
    from data.models import NetworkLink
    from data.selectors import dataset_uses_timed, network_load

    network = network_load()
    slowest = (
        NetworkLink.objects.select_related("site_a", "site_b")
        .order_by("bandwidth_gbps", "pk")
        .first()
    )
    longest = (
        dataset_uses_timed(network)
        .filter(cluster_id__in=network.gpu_clusters, seconds__isnull=False)
        .select_related("dataset", "cluster")
        .order_by("-seconds")
        .first()
    )
    return {
        "links": len(network.edges),
        "sites": len(network.sites),
        "slowest": (
            {
                "name": str(slowest),
                "gbps": slowest.effective_gbps,
                "url": slowest.get_absolute_url(),
            }
            if slowest
            else None
        ),
        "longest": (
            {
                "dataset": longest.dataset.name,
                "cluster": longest.cluster.name,
                "hours": hours(longest.seconds),
                "url": longest.dataset.get_absolute_url(),
            }
            if longest
            else None
        ),
        "below_declared": links_below_declared().count(),
        "url": reverse("data:map"),
    }


def data_panel(request) -> dict:
    return cached_panel("data-datasets", PANEL_TTL, _data_figures, request=request)


def networks_panel(request) -> dict:
    return cached_panel("data-networks", PANEL_TTL, _networks_figures, request=request)


def node_section(request, node) -> dict | None:
    """Datasets used on the node's cluster, with their delivery time to it."""
    from django.conf import settings

    from data.selectors import datasets_on_cluster, network_load
    from portal.policy import can

    if request is None or not can(request.user, "data.read"):
        return None
    datasets, total = datasets_on_cluster(node.cluster_id)
    datasets = list(datasets)
    if not datasets:
        return {"rows": [], "total": 0, "node": node, "limit_hours": 0}
    network = network_load()
    rows = [(d, network.delivery(d, node.cluster_id)) for d in datasets]
    return {
        "rows": rows,
        "total": total,
        "node": node,
        "limit_hours": settings.DATA_DELIVERY_MAX_HOURS,
    }
