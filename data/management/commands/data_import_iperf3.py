"""Record ``iperf3 -J`` results as measurements of a network link."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from data.formats import MAX_FILE_BYTES
from data.imports import iperf3_import
from data.management.commands._common import actor_from, write_report
from data.models import NetworkLink


class Command(BaseCommand):
    help = "Record iperf3 -J result files (or every *.json in a folder) for a network link."

    def add_arguments(self, parser):
        parser.add_argument("link", type=int, help="the link's id (see /data/links/)")
        parser.add_argument("paths", nargs="+", help="result files or folders of them")
        parser.add_argument("--as", dest="username", help="act as this user (policy applies)")

    def handle(self, *args, link: int, paths: list[str], username: str | None, **options):
        target = NetworkLink.objects.filter(pk=link).first()
        if target is None:
            raise CommandError(f"no network link {link}")
        files = []
        for name in paths:
            path = Path(name)
            chosen = sorted(path.glob("*.json")) if path.is_dir() else [path]
            for item in chosen:
                if not item.is_file():
                    raise CommandError(f"{item} is not a file")
                with item.open("rb") as handle:
                    files.append((item.name, handle.read(MAX_FILE_BYTES + 1)))
        report = iperf3_import(actor=actor_from(username), link=target, files=files)
        write_report(self, report)
        if report.errors:
            raise CommandError(f"{len(report.errors)} file(s) could not be read")
