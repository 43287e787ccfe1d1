"""Read a DVC project's ``*.dvc`` files and ``dvc.lock`` into the dataset catalogue."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from data.imports import dvc_files_in, dvc_import
from data.management.commands._common import actor_from, write_report
from data.models import DataStore


class Command(BaseCommand):
    help = "Update datasets (size, files, version) from a DVC project's .dvc files and dvc.lock."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="the DVC project (or any folder holding its files)")
        parser.add_argument(
            "--store", help="create datasets missing from the catalogue in this store"
        )
        parser.add_argument("--as", dest="username", help="act as this user (policy applies)")

    def handle(self, *args, folder: str, store: str | None, username: str | None, **options):
        root = Path(folder)
        if not root.is_dir():
            raise CommandError(f"{folder} is not a folder")
        target = None
        if store:
            target = DataStore.objects.filter(name=store).first()
            if target is None:
                raise CommandError(f"no data store named {store!r}")
        files = dvc_files_in(root)
        if not files:
            raise CommandError(f"no .dvc files or dvc.lock under {folder}")
        report = dvc_import(actor=actor_from(username), files=files, store=target)
        write_report(self, report)
        if report.errors:
            raise CommandError(f"{len(report.errors)} file(s) could not be read")
