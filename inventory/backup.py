"""The inventory in a portal backup: what to read and from where (clusters and their
sources). What the sources saw is not kept: the first sync after a restore reads it
again. Config keys that look like credentials are dropped, paths are kept."""

from __future__ import annotations

from inventory.models import SECRET_CONFIG_KEYS, Cluster, InventorySource
from portal.backup import Table, table_export, table_restore
from portal.registry import registry

CLUSTERS = Table(Cluster, "inventory/clusters.json")
SOURCES = Table(InventorySource, "inventory/sources.json")


def config_without_secrets(config):
    if not isinstance(config, dict):
        return config
    return {
        key: value
        for key, value in config.items()
        if not any(word in str(key).lower() for word in SECRET_CONFIG_KEYS)
    }


def inventory_export(writer) -> None:
    table_export(writer, CLUSTERS)
    table_export(
        writer,
        SOURCES,
        transform=lambda row: {**row, "config": config_without_secrets(row["config"])},
    )


def inventory_restore(reader) -> None:
    table_restore(reader, CLUSTERS)
    table_restore(reader, SOURCES)


def register() -> None:
    registry.add_backup_part(
        30,
        "inventory",
        inventory_export,
        inventory_restore,
        must_be_empty=(CLUSTERS.label, SOURCES.label),
    )
