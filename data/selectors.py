"""Reads behind the data pages. The site graph (sites, links, placements, caches) is
small and read whole in a fixed number of queries; datasets are never looped over in
Python beyond a page: per-dataset delivery times over many rows are computed by the
database from the few site-to-site bandwidths (:func:`seconds_expression`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from data.choices import StoreKind
from data.delivery import Delivery, Edge, Params, Route, transfer_seconds, widest_paths
from data.models import ClusterPlacement, Dataset, DataStore, LinkMeasurement, NetworkLink, Site
from inventory.models import Cluster, Node


@dataclass
class Network:
    sites: dict[int, Site]
    edges: list[Edge]
    cluster_names: dict[int, str]
    placements: dict[int, int | None]  # cluster id -> site id
    caches: dict[int, list[DataStore]]  # site id -> cache stores there
    gpu_clusters: set[int]
    params: Params = field(default_factory=Params.from_settings)
    _routes: dict[int, dict[int, Route]] = field(default_factory=dict)

    def routes_from(self, site_id: int) -> dict[int, Route]:
        if site_id not in self._routes:
            self._routes[site_id] = widest_paths(self.edges, site_id)
        return self._routes[site_id]

    def route(self, a: int | None, b: int | None) -> Route | None:
        if a is None or b is None:
            return None
        return self.routes_from(a).get(b)

    def route_gbps(self, route: Route) -> float:
        return self.params.local_gbps if route.local else route.bottleneck_gbps

    def delivery(self, dataset: Dataset, cluster_id: int) -> Delivery:
        """``dataset.store`` must be loaded (select_related)."""
        site_id = self.placements.get(cluster_id)
        route = self.route(dataset.store.site_id, site_id)
        reasons = []
        if dataset.store.site_id is None:
            reasons.append("store_no_site")
        if site_id is None:
            reasons.append("cluster_no_site")
        first = (
            transfer_seconds(
                dataset.size_bytes, dataset.file_count, self.route_gbps(route), self.params
            )
            if route is not None
            else None
        )
        cache = next(
            (c for c in self.caches.get(site_id, []) if c.pk != dataset.store_id),
            None,
        )
        later = (
            transfer_seconds(
                dataset.size_bytes, dataset.file_count, self.params.local_gbps, self.params
            )
            if cache is not None
            else None
        )
        # A cache that would not be faster than the network (many small files, a link
        # as fast as the site's own network) is not offered.
        if cache is None or route is None or route.local or later is None or later >= first:
            return Delivery(
                cluster_id,
                self.cluster_names.get(cluster_id, ""),
                site_id,
                route,
                first,
                reasons=reasons,
            )
        fits = cache.capacity_bytes is None or (
            dataset.size_bytes is not None and dataset.size_bytes <= cache.capacity_bytes
        )
        return Delivery(
            cluster_id,
            self.cluster_names.get(cluster_id, ""),
            site_id,
            route,
            first,
            cache_name=cache.name,
            cache_fits=fits,
            later_s=later if fits else None,
            reasons=reasons,
        )

    def site_pairs(self) -> list[tuple[int, int, float]]:
        """(store site, cluster site, Gbit/s) for every pair a copy can take."""
        targets = {s for s in self.placements.values() if s is not None}
        pairs = []
        for source in self.sites:
            routes = self.routes_from(source)
            for target in targets:
                if target in routes:
                    pairs.append((source, target, self.route_gbps(routes[target])))
        return pairs


def network_load() -> Network:
    """Five queries whatever the number of datasets."""
    sites = {s.pk: s for s in Site.objects.order_by("name")}
    edges = [
        Edge(
            link_id=link.pk,
            a=link.site_a_id,
            b=link.site_b_id,
            gbps=link.effective_gbps,
            latency_ms=link.latency_ms or 0.0,
            dedicated=link.dedicated,
        )
        for link in NetworkLink.objects.only(
            "id",
            "site_a_id",
            "site_b_id",
            "bandwidth_gbps",
            "measured_gbps",
            "latency_ms",
            "dedicated",
        )
    ]
    names, placements = {}, {}
    for pk, name, site_id in Cluster.objects.values_list("pk", "name", "placement__site_id"):
        names[pk] = name
        placements[pk] = site_id
    caches: dict[int, list[DataStore]] = {}
    for store in DataStore.objects.filter(kind=StoreKind.CACHE, site__isnull=False).order_by(
        "-capacity_bytes", "name"
    ):
        caches.setdefault(store.site_id, []).append(store)
    gpu_clusters = set(
        Node.objects.present()
        .filter(Q(gpu_capacity__gt=0) | Q(gpu_labels_present=True))
        .values_list("cluster_id", flat=True)
        .distinct()
    )
    return Network(sites, edges, names, placements, caches, gpu_clusters)


def seconds_expression(
    network: Network, prefix: str = "dataset__", cluster_site: str = "cluster__placement__site_id"
):
    """Seconds to copy a dataset to a cluster, as SQL over a row that reaches the
    dataset through ``prefix`` and the cluster's site through ``cluster_site``; NULL
    where there is no path (or no size)."""
    params = network.params
    # Seconds per byte for each (cluster site, rate), with the store sites that give
    # it: one WHEN per group, so the SQL stays short on a large site graph.
    groups: dict[tuple[int, float], list[int]] = {}
    for source, target, gbps in network.site_pairs():
        rate = 8 / (gbps * 1e9 * params.efficiency)
        groups.setdefault((target, rate), []).append(source)
    if not groups:
        return Value(None, output_field=FloatField())
    rate = Case(
        *(
            When(
                Q(**{cluster_site: target, f"{prefix}store__site_id__in": sorted(sources)}),
                then=Value(rate),
            )
            for (target, rate), sources in sorted(groups.items())
        ),
        default=Value(None),
        output_field=FloatField(),
    )
    return ExpressionWrapper(
        F(f"{prefix}size_bytes") * rate
        + Coalesce(F(f"{prefix}file_count"), 0) * Value(params.per_file_s),
        output_field=FloatField(),
    )


def dataset_uses():
    """One row per (dataset, cluster it is used with)."""
    return Dataset.clusters.through.objects.all()


def dataset_uses_timed(network: Network):
    return dataset_uses().annotate(seconds=seconds_expression(network))


# --- Lists and pages ----------------------------------------------------------------


def dataset_list(
    *, q: str = "", store_id=None, kind: str = "", versioning: str = "", personal=None
):
    qs = Dataset.objects.select_related("store", "store__site").order_by("name")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(path__icontains=q) | Q(format__icontains=q))
    if store_id:
        qs = qs.filter(store_id=store_id)
    if kind:
        qs = qs.filter(store__kind=kind)
    if versioning:
        qs = qs.filter(versioning=versioning)
    if personal is not None:
        qs = qs.filter(personal_data=personal)
    return qs


def dataset_detail(pk: int):
    dataset = Dataset.objects.select_related("store", "store__site", "procedure").get(pk=pk)
    used_on = set(dataset.clusters.values_list("pk", flat=True))
    return dataset, used_on


def store_list():
    return (
        DataStore.objects.select_related("site")
        .annotate(n_datasets=Count("datasets"), total_bytes=Sum("datasets__size_bytes"))
        .order_by("name")
    )


def site_list():
    return Site.objects.annotate(
        n_stores=Count("stores", distinct=True), n_clusters=Count("placements", distinct=True)
    ).order_by("name")


def link_list():
    return (
        NetworkLink.objects.select_related("site_a", "site_b")
        .annotate(n_measurements=Count("measurements"))
        .order_by("site_a__name", "site_b__name", "pk")
    )


def link_history(link: NetworkLink, limit: int = 200) -> list[LinkMeasurement]:
    return list(link.measurements.order_by("-measured_at", "-id")[:limit])[::-1]


def placements_by_site() -> dict[int, list[str]]:
    by_site: dict[int, list[str]] = {}
    for site_id, name in ClusterPlacement.objects.values_list("site_id", "cluster__name").order_by(
        "cluster__name"
    ):
        by_site.setdefault(site_id, []).append(name)
    return by_site


def datasets_on_cluster(cluster_id: int, limit: int = 50):
    qs = Dataset.objects.filter(clusters=cluster_id).select_related("store", "store__site")
    return qs.order_by(F("size_bytes").desc(nulls_last=True), "name")[:limit], qs.count()


def kind_totals() -> list[dict]:
    """Datasets and bytes per store kind: one query."""
    labels = dict(StoreKind.choices)
    rows = (
        Dataset.objects.values("store__kind")
        .annotate(n=Count("id"), total=Sum("size_bytes"))
        .order_by("store__kind")
    )
    return [
        {
            "kind": r["store__kind"],
            "label": str(labels.get(r["store__kind"], r["store__kind"])),
            "count": r["n"],
            "tb": (r["total"] or 0) / 1e12,
        }
        for r in rows
    ]
