"""Write each procedure's version in force as Markdown with YAML front matter."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from procedures.docs_as_code import document_from_version, serialise_document
from procedures.selectors import procedures_for_export


class Command(BaseCommand):
    help = "Export the current version of every procedure in force to DIR/<slug>.md."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path)

    def handle(self, *args, directory: Path, **options):
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"cannot create {directory}: {exc}") from exc
        exported = 0
        for procedure, version in procedures_for_export():
            document = document_from_version(version, version.reviews.all())
            path = directory / f"{procedure.slug}.md"
            path.write_text(serialise_document(document), encoding="utf-8")
            exported += 1
            self.stdout.write(f"{path.name}: v{version.number}")
        self.stdout.write(self.style.SUCCESS(f"exported {exported} procedure(s) to {directory}"))
