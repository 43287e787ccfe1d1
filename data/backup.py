"""Data and networks in a portal backup: every row, with clusters and procedures
named (by name and slug) so a restore into a database with other keys still links
them. Runs after the inventory, which restores the clusters."""

from __future__ import annotations

from data.models import ClusterPlacement, Dataset, DataStore, LinkMeasurement, NetworkLink, Site
from portal.backup import Table, table_export, table_restore
from portal.registry import registry

SITES = Table(Site, "data/sites.json")
PLACEMENTS = Table(ClusterPlacement, "data/placements.json", natural={"cluster": "name"})
STORES = Table(DataStore, "data/stores.json")
DATASETS = Table(
    Dataset,
    "data/datasets.json",
    natural={"procedure": "slug"},
    m2m={"clusters": "name"},
)
LINKS = Table(NetworkLink, "data/links.json")
MEASUREMENTS = Table(LinkMeasurement, "data/measurements.json")
TABLES = (SITES, PLACEMENTS, STORES, DATASETS, LINKS, MEASUREMENTS)


def data_export(writer) -> None:
    for table in TABLES:
        table_export(writer, table)


def data_restore(reader) -> None:
    for table in TABLES:
        table_restore(reader, table)


def register() -> None:
    registry.add_backup_part(
        45, "data", data_export, data_restore, must_be_empty=tuple(t.label for t in TABLES)
    )
