"""A small site graph for the data tests, built through the services as the system.

house (NFS share, data lake) ─1 Gbit/s shared─ provider (GPU cluster "gpu", a cache)
provider ─10 Gbit/s dedicated─ cloud (object store)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from data import services
from data.choices import SiteKind, StoreKind, Versioning
from inventory.services import cluster_create

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TB = 10**12
GB = 10**9


@dataclass
class Net:
    house: object
    provider: object
    cloud: object
    nfs: object
    lake: object
    bucket: object
    cache: object
    slow: object
    fast: object
    cluster: object
    speech: object
    tabular: object


@pytest.fixture
def net(db):
    house = services.site_create(actor=None, name="house", kind=SiteKind.IN_HOUSE)
    provider = services.site_create(actor=None, name="provider", kind=SiteKind.PROVIDER)
    cloud = services.site_create(actor=None, name="cloud", kind=SiteKind.CLOUD)
    nfs = services.store_create(actor=None, name="nfs", kind=StoreKind.SHARE, site=house)
    lake = services.store_create(actor=None, name="lake", kind=StoreKind.LAKE, site=house)
    bucket = services.store_create(actor=None, name="bucket", kind=StoreKind.OBJECT, site=cloud)
    cache = services.store_create(
        actor=None, name="cache", kind=StoreKind.CACHE, site=provider, capacity_bytes=4 * TB
    )
    slow = services.link_create(actor=None, site_a=house, site_b=provider, bandwidth_gbps=1)
    fast = services.link_create(
        actor=None, site_a=provider, site_b=cloud, bandwidth_gbps=10, dedicated=True
    )
    cluster = cluster_create(actor=None, name="gpu")
    services.cluster_place(actor=None, cluster=cluster, site=provider)
    speech = services.dataset_create(
        actor=None,
        name="speech",
        store=nfs,
        path="data/speech",
        size_bytes=2 * TB,
        file_count=120_000,
        versioning=Versioning.DVC,
        clusters=[cluster],
    )
    tabular = services.dataset_create(
        actor=None,
        name="tabular",
        store=lake,
        path="data/tabular",
        size_bytes=40 * GB,
        file_count=400,
        personal_data=True,
        clusters=[cluster],
    )
    return Net(
        house, provider, cloud, nfs, lake, bucket, cache, slow, fast, cluster, speech, tabular
    )


def fixture_bytes(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()
