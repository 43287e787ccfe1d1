"""Backup a person can read (Markdown and JSON with a checksummed manifest) and a
restore that gives back the same content hashes. Each app contributes its part
through ``registry.add_backup_part``; this package knows no app."""

from portal.backup.archive import BackupError, BackupReader, BackupWriter
from portal.backup.tables import Table, table_export, table_load, table_restore

__all__ = [
    "BackupError",
    "BackupReader",
    "BackupWriter",
    "Table",
    "table_export",
    "table_load",
    "table_restore",
]
