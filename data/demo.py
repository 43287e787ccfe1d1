"""``seed_portal --demo``: a small, clearly labelled sample of data and networks.

An in-house server room holds an NFS share and a data lake; the GPU cluster is at a
provider, with a cache; the provider reaches the in-house room over 1 Gbit/s (shared)
and a cloud region over 10 Gbit/s (dedicated). A 2 TB speech corpus then needs about
five hours to reach the GPUs, and half an hour from the cache on later reads."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from data import services
from data.choices import SiteKind, StoreKind, Versioning
from data.models import Dataset, DataStore, NetworkLink, Site
from inventory.models import Cluster
from inventory.services import DEMO_CLUSTER
from procedures.models import Procedure

SAMPLE = "(sample)"
TB = 10**12
GB = 10**9


def _site(name, kind, location):
    return Site.objects.filter(name=name).first() or services.site_create(
        actor=None,
        name=name,
        kind=kind,
        location=location,
        is_demo=True,
        description="Sample data shipped with the portal, not a real site.",
    )


def _store(name, kind, site, capacity, endpoint):
    return DataStore.objects.filter(name=name).first() or services.store_create(
        actor=None,
        name=name,
        kind=kind,
        site=site,
        capacity_bytes=capacity,
        endpoint=endpoint,
        owner_role="Data engineer",
        is_demo=True,
        description="Sample data store.",
    )


def _link(a, b, gbps, latency, dedicated, name):
    return NetworkLink.objects.filter(site_a=a, site_b=b).first() or services.link_create(
        actor=None,
        site_a=a,
        site_b=b,
        bandwidth_gbps=gbps,
        latency_ms=latency,
        dedicated=dedicated,
        name=name,
        is_demo=True,
    )


def demo_data_seed(*, stdout=None, demo: bool = False) -> None:
    if not demo:
        return
    house = _site(f"In-house server room {SAMPLE}", SiteKind.IN_HOUSE, "Head office, basement")
    provider = _site(f"GPU provider {SAMPLE}", SiteKind.PROVIDER, "Provider data centre")
    cloud = _site(f"Cloud region {SAMPLE}", SiteKind.CLOUD, "eu-central-1")
    stores = {
        "nfs": _store(
            f"nfs-datasets {SAMPLE}",
            StoreKind.SHARE,
            house,
            100 * TB,
            "nfs://nas01/export/datasets",
        ),
        "lake": _store(f"data-lake {SAMPLE}", StoreKind.LAKE, house, 500 * TB, "s3://lake/raw/"),
        "bucket": _store(f"s3-images {SAMPLE}", StoreKind.OBJECT, cloud, None, "s3://ml-images/"),
    }
    _store(f"gpu-cache {SAMPLE}", StoreKind.CACHE, provider, 4 * TB, "/mnt/cache")
    slow = _link(house, provider, 1, 12, False, f"office VPN {SAMPLE}")
    _link(provider, cloud, 10, 4, True, f"cloud interconnect {SAMPLE}")
    if not slow.measurements.exists():
        services.measurement_record(
            actor=None,
            link=slow,
            gbps=0.94,
            measured_at=timezone.now() - timedelta(days=1),
            how="sample figure, iperf3 -P 4",
            source_name="sample",
        )
    cluster = Cluster.objects.filter(name=DEMO_CLUSTER).first()
    if cluster is not None:
        services.cluster_place(actor=None, cluster=cluster, site=provider)
    _demo_datasets(stores, [cluster] if cluster is not None else [])
    if stdout is not None:
        stdout.write("demo data and networks: 3 sites, 4 stores, 2 links, 3 datasets")


# name, store, size, files, format, personal data, versioning, version, used by
DEMO_DATASETS = (
    (
        f"speech-corpus-ru {SAMPLE}",
        "nfs",
        2 * TB,
        120_000,
        "FLAC + JSON manifests",
        True,
        Versioning.DVC,
        "a304afb96060aad90176268345e10355",
        ["asr-v3"],
    ),
    (
        f"churn-tabular {SAMPLE}",
        "lake",
        40 * GB,
        400,
        "Parquet",
        True,
        Versioning.NONE,
        "",
        ["churn-model"],
    ),
    (
        f"product-images {SAMPLE}",
        "bucket",
        300 * GB,
        1_500_000,
        "JPEG",
        False,
        Versioning.LAKEFS,
        "main@3f2a9c1",
        ["vision-search"],
    ),
)


def _demo_datasets(stores: dict, clusters: list) -> None:
    now = timezone.now()
    # The starter procedure the versioned datasets follow, when it is loaded.
    versioning = Procedure.objects.filter(slug="dataset-versioning").first()
    for name, store, size, files, fmt, personal, versioning_tool, ref, used in DEMO_DATASETS:
        if Dataset.objects.filter(name=name).exists():
            continue
        services.dataset_create(
            actor=None,
            name=name,
            store=stores[store],
            path=f"datasets/{name.split()[0]}",
            size_bytes=size,
            file_count=files,
            format=fmt,
            owner_role="Data engineer",
            personal_data=personal,
            versioning=versioning_tool,
            version_ref=ref,
            used_by=used,
            last_updated=now,
            is_demo=True,
            clusters=clusters,
            procedure=versioning if versioning_tool != Versioning.NONE else None,
        )
