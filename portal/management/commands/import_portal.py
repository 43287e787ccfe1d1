"""Restore a directory written by export_portal into an empty database."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError
from portal.backup.run import portal_import


class Command(BaseCommand):
    help = (
        "Restore DIR (written by export_portal) into a freshly migrated database. "
        "Every file is checked against the manifest first; the load is one "
        "transaction, so a refused backup leaves the database as it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options):
        try:
            counts = portal_import(directory=directory, actor="manage.py import_portal")
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for label, n in sorted(counts.items()):
            self.stdout.write(f"{label}: {n}")
        self.stdout.write(self.style.SUCCESS(f"Restored from {directory}"))
