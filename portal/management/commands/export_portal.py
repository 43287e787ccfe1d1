"""Write the whole portal to a directory as Markdown and JSON with a manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from portal.backup import BackupError
from portal.backup.run import portal_export


class Command(BaseCommand):
    help = (
        "Export procedures (all versions and approvals), acknowledgements, decision "
        "records, the RACI matrix, onboarding, inventory clusters and sources, people "
        "and the audit log to DIR (which must not exist or be empty)."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options):
        try:
            manifest = portal_export(directory=directory, actor="manage.py export_portal")
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for label, n in manifest["counts"].items():
            self.stdout.write(f"{label}: {n}")
        self.stdout.write(
            self.style.SUCCESS(f"{len(manifest['files'])} files written to {directory}")
        )
