"""Import a folder of ADR Markdown files (MADR 2/3/4 or adr-tools / Nygard)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Import ADR Markdown files from DIR; numbers come from the file names. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="the person the import is recorded as (default: the portal's own account)",
        )

    def handle(self, *args, directory: Path, username: str, **options):
        from knowledge.services import adr_import_directory
        from procedures.services import system_user

        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory")
        if username:
            try:
                actor = get_user_model().objects.get(username=username)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"no user {username!r}") from exc
        else:
            actor = system_user()
        report = adr_import_directory(actor=actor, directory=directory)
        self.stdout.write(
            f"created {len(report.created)}, updated {len(report.updated)}, "
            f"unchanged {len(report.unchanged)}, links added {report.links_added}"
        )
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(str(warning)))
        for error in report.errors:
            self.stderr.write(self.style.ERROR(str(error)))
        if report.errors:
            # Good files are in; a non-zero status still tells CI a file needs fixing.
            raise CommandError(f"{len(report.errors)} file(s) could not be imported")
